import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import ServiceLifecycle
import UnixSignals
import TapsterAgent
import TapsterCore

/// `tapster agent [--server HOST:PORT] [--join-token T] …` and `tapster-agent [--server HOST:PORT] …`: runs the
/// agent on this host. The one agent command: both executables run it (Package.swift says why there are two).
public struct AgentRunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent on this host (what `tapster agent` does without a subcommand).",
        discussion: AgentRunOptions.discussion)

    @OptionGroup public var options: AgentRunOptions

    public init() {}

    public func run() async throws {
        try await options.run()
    }
}

/// The agent's options and what running it does; `AgentRunCommand` (`tapster agent`) and the root command of
/// `tapster-agent` are these options and nothing else.
public struct AgentRunOptions: ParsableArguments {
    public static let discussion = """
        The first start enrols the agent with a join token from `tapster agent token create`; the token \
        carries the fingerprint of the server's CA, so the agent verifies the server before trusting it. \
        The certificate it receives is kept in --data-dir, and later starts need no token. Needs root \
        (it enters network namespaces and captures with libpcap). With several server replicas, give them \
        all (--server a:7381,b:7381, or one DNS name with a record per replica): the agent connects to one \
        and moves to another when it fails, its taps running meanwhile.
        """

    public init() {}

    @Option(name: .long, help: "The server's agent endpoint, HOST:PORT (tapster serve --agent-listen); several replicas: a,b,… or a DNS name with several records (default: `server` in --config).")
    var server: String?

    @Option(name: .long, help: "Join token for the first start (or $TAPSTER_JOIN_TOKEN).")
    var joinToken: String?

    @Option(name: .long, help: ArgumentHelp(
        "A file holding the join token, read when neither --join-token nor $TAPSTER_JOIN_TOKEN gives one; a missing file means no token.",
        discussion: "For a Kubernetes Secret with one token per node, mounted as a directory: --join-token-file /etc/tapster/join-tokens/$(NODE_NAME)."))
    var joinTokenFile: String?

    @Option(name: .long, help: "The agent's name, unique among the server's agents (default: the host name).")
    var name: String?

    @Option(name: .long, help: "Directory for the agent's key and certificates (default: /var/lib/tapster/agent-NAME).")
    var dataDir: String?

    @Option(name: .long, help: "The agent's configuration file (labels, which namespaces it owns).")
    var config: String?

    @Option(name: .long, help: "IPv4 address on this host where other hosts' agents send frames for `port` targets.")
    var tunnelAddress: String?

    @Option(name: .long, help: "The Docker Engine API's unix socket (Docker or Podman), whose running containers are reported (default: `docker-socket` in --config, else /var/run/docker.sock and /run/podman/podman.sock when they exist).")
    var dockerSocket: String?

    @Option(name: .long, help: "The container runtime's CRI socket, whose pods are reported (default: `cri-socket` in --config, else /run/containerd/containerd.sock, /run/crio/crio.sock and /var/run/cri-dockerd.sock when they exist).")
    var criSocket: String?

    @Option(name: .long, help: ArgumentHelp("Where taps are mirrored: userspace (through libpcap, the default) or kernel (in the kernel where the tap and the kernel allow it).",
        discussion: "In the kernel: VXLAN targets with whole packets from workload namespaces, as a clsact filter running the tap's BPF program and a mirred action to a VXLAN device; `tapster tap get` shows each agent's datapath and why not the kernel's. A process in a tapped workload with CAP_NET_RAW can add frames to the tool's stream through the kernel path's veth: opt in only where that is acceptable."))
    var datapath: DatapathPreference = .userspace

    @Flag(name: .long, help: ArgumentHelp("With --datapath kernel, also deliver into monitor ports on this host in the kernel (default: from userspace).",
        discussion: "The port's veth peer receives, through the tap's own filter, whatever reaches the tapped workload's mirror veth: a process there with CAP_NET_RAW can send frames matching the tap's filter into the monitor's stack. Opt in only where that is acceptable."))
    var kernelPortDelivery = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    public func run() async throws {
        // Before any thread or event loop starts: this process is an agent, not a server on every core.
        AgentProcessMemory.configureProcess()
        let servers: ServerList
        do {
            if let text = self.server {
                servers = try ServerList(parsing: text)
            } else if let config, let configured = try AgentConfiguration.load(path: config).servers {
                servers = configured
            } else {
                throw ValidationError("give --server HOST:PORT (or `server:` in the --config file)")
            }
        } catch let error as AgentError {
            throw ValidationError(error.description)
        } catch let error as AgentConfigurationError {
            throw ValidationError(error.description)
        }
        let name = self.name ?? AgentSettings.hostName
        let environment = ProcessInfo.processInfo.environment
        var settings = AgentSettings(
            servers: servers,
            joinToken: try joinToken ?? environment["TAPSTER_JOIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
                ?? joinTokenFile.flatMap(Self.joinToken(inFile:)),
            name: name,
            dataDirectory: URL(fileURLWithPath: dataDir ?? "/var/lib/tapster/agent-\(name)"),
            configurationPath: config,
            tunnelAddress: tunnelAddress)
        settings.dockerSocket = dockerSocket
        settings.criSocket = criSocket
        settings.datapath = datapath
        settings.kernelPortDelivery = kernelPortDelivery
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "tapster-agent")
        logger.logLevel = logLevel
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: AgentRuntime(settings: settings, logger: logger))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }

    /// The token in `path`, trimmed; nil when the file does not exist (an enrolled agent needs none, and its
    /// node's key may since have left the Secret) or is empty.
    /// - Throws: `ValidationError` with a one-line reason when the file cannot be read: `no such file` (gone since it
    ///   was seen), `is a directory`, `permission denied`, `not UTF-8 text`, or the system's text for the error.
    private static func joinToken(inFile path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            let reason = switch error {
            case .open(ENOENT), .read(ENOENT): "no such file"
            case .open(EISDIR), .read(EISDIR): "is a directory"
            case .open(EACCES), .read(EACCES): "permission denied"
            case .open(let number), .read(let number): String(cString: strerror(number))
            case .notUTF8: "not UTF-8 text"
            }
            throw ValidationError("cannot read the join token file \(path): \(reason)")
        }
        let token = text.trimming(.whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }
}

extension DatapathPreference: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
