import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TapsterAgent
// Logger.Level as an option's value (--log-level), declared with the agent's command.
import TapsterAgentCommand
import TapsterCore
import TapsterServer

/// `tapster serve`: runs the control plane (API, portal, scheduler).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Tapster control plane.",
        discussion: """
            On first start it creates the admin account and prints its one-time password and API token once; \
            set TAPSTER_ADMIN_TOKEN to choose that token. Data lives in --data-dir (SQLite) unless --database-url \
            names a PostgreSQL server.
            """)

    @Option(name: .long, help: "Address to listen on (HOST:PORT). Loopback unless you say otherwise.")
    var listen = "127.0.0.1:\(ServerConfiguration.defaultPort)"

    @Option(name: .customLong("agent-listen"), help: ArgumentHelp(
        "Address agents connect to (HOST:PORT): gRPC with mutual TLS. Loopback unless you say otherwise.",
        discussion: "Use 0.0.0.0:\(AgentChannelConfiguration.defaultPort) (or a host address) for agents on other machines."))
    var agentListen = "127.0.0.1:\(AgentChannelConfiguration.defaultPort)"

    @Option(name: .customLong("agent-tls-san"), help: ArgumentHelp(
        "An extra DNS name or IP address in the agent channel's certificate (repeat for several).",
        discussion: "It always names localhost, 127.0.0.1, ::1, the --agent-listen host and this machine's host name."))
    var agentTLSSan: [String] = []

    @Option(name: .long, help: "Directory for Tapster's data (the SQLite database, the agents' CA in pki/, captures).")
    var dataDir = "./tapster-data"

    @Option(name: .long, help: "postgres://user:password@host:port/database to use PostgreSQL instead of SQLite.")
    var databaseURL: String?

    @Option(name: .long, help: ArgumentHelp(
        "The most memory one capture holds (e.g. 8MiB); packets beyond it are dropped and counted.",
        discussion: "A slow or stalled reader never makes the server grow beyond it."), transform: Parse.byteCount)
    var captureBuffer = ByteCount(bytes: UInt64(CaptureSettings.defaultBufferBudget))

    @Option(name: .long, help: ArgumentHelp(
        "The most memory all running captures together hold (e.g. 256MiB); a capture that would pass it is refused (unavailable).",
        discussion: "Default: 32 times --capture-buffer."), transform: Parse.byteCount)
    var captureTotalBuffer: ByteCount?

    @Option(name: .long, help: ArgumentHelp(
        "Stored captures are refused while the filesystem capture store has less free than this (e.g. 1GiB).",
        discussion: "Default: 256MiB. A stored capture that fills the disk anyway fails, with the reason in its record."),
            transform: Parse.byteCount)
    var captureStoreFreeFloor: ByteCount?

    @Option(name: .long, help: "How long flow records of `flows` taps are kept (e.g. 24h, the default).", transform: Parse.duration)
    var flowRetention: TapDuration?

    @Option(name: .long, help: ArgumentHelp(
        "How long a tap waiting for an admin's approval waits before it expires unanswered (e.g. 1h, the default).",
        discussion: "Four-eyes approval: see `tapster policy set approval-for-full-payload` and `tapster grant create --approval`."),
            transform: Parse.duration)
    var approvalTimeout: TapDuration?

    @Option(name: .long, help: ArgumentHelp(
        "Where stored captures go: s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
        discussion: "Default: the filesystem under <data-dir>/captures."))
    var captureStore: String?

    @Option(name: .customLong("external-url"), help: ArgumentHelp(
        "The URL users reach this server at (e.g. https://tapster.example.com), for the download links it hands out.",
        discussion: "Without it a download link is a path on whatever server URL the client used; a request's Host header is never trusted for it."))
    var externalURL: String?

    @Option(name: .customLong("replica-name"), help: ArgumentHelp(
        "This replica's name among the servers sharing one PostgreSQL database (default: HOSTNAME:PORT).",
        discussion: "It is shown by /readyz and in the metrics, and recorded on the agents and captures this replica holds."))
    var replicaName: String?

    @Option(name: .customLong("agent-advertise-address"), help: ArgumentHelp(
        "The HOST:PORT agents reach this replica's agent channel at (default: --agent-listen, or this host's name when that listens on every address).",
        discussion: "Set it when agents reach this replica through another address (NAT, a per-replica DNS name)."))
    var agentAdvertiseAddress: String?

    @Option(name: .customLong("identity-config"), help: ArgumentHelp(
        "A YAML file naming the OpenID Connect providers people sign in with, the rules mapping their claims to roles and tenants, and Keystone.",
        discussion: "See docs/identity.md. Local accounts and API tokens keep working beside them."))
    var identityConfig: String?

    @Option(name: .customLong("keystone-url"), help: ArgumentHelp(
        "Accept OpenStack users' Keystone tokens (X-Auth-Token), validated at this Keystone (e.g. http://keystone:5000/v3).",
        discussion: "Replaces keystone.url of --identity-config. See docs/identity.md."))
    var keystoneURL: String?

    @Option(name: .customLong("keystone-service-user"), help: ArgumentHelp(
        "The Keystone user Tapster validates tokens as (needs the service role in --keystone-service-project).",
        discussion: "Its password: --keystone-service-password-file, or TAPSTER_KEYSTONE_SERVICE_PASSWORD."))
    var keystoneServiceUser: String?

    @Option(name: .customLong("keystone-service-password-file"), help: "A file holding the Keystone service user's password.")
    var keystoneServicePasswordFile: String?

    @Option(name: .customLong("keystone-service-project"), help: "The project the service user's token is scoped to (default: service).")
    var keystoneServiceProject: String?

    @Flag(name: .customLong("with-agent"), help: ArgumentHelp(
        "Also run this host's agent in the same process (needs root), enrolled by the server itself.",
        discussion: "Its name is the host name unless --agent-name says otherwise; its key and certificate live in <data-dir>/agent."))
    var withAgent = false

    @Option(name: .customLong("agent-name"), help: "The local agent's name (with --with-agent; default: the host name).")
    var agentName: String?

    @Option(name: .customLong("agent-config"), help: "The local agent's configuration file (with --with-agent), as `tapster agent --config`.")
    var agentConfig: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        // First, before any connection allocates: each agent connection's large buffers on pages of their own.
        ServerProcessMemory.configureProcess()
        let (host, port): (String, Int)
        let agents: (host: String, port: Int)
        do {
            (host, port) = try ServerConfiguration.parseListen(listen)
            agents = try ServerConfiguration.parseListen(agentListen, field: "agent-listen")
        } catch {
            throw ValidationError(error.message)
        }
        let environment = ProcessInfo.processInfo.environment
        let configuration = ServerConfiguration(
            host: host, port: port, dataDirectory: dataDir,
            databaseURL: databaseURL ?? environment["TAPSTER_DATABASE_URL"],
            initialAdminToken: environment["TAPSTER_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
            agentChannel: AgentChannelConfiguration(host: agents.host, port: agents.port, extraNames: agentTLSSan))
        var configured = configuration
        configured.captureBuffer = Int(clamping: captureBuffer.bytes)
        configured.captureStore = captureStore
        configured.captureTotalBuffer = captureTotalBuffer.map { Int(clamping: $0.bytes) }
        configured.captureStoreFreeFloor = captureStoreFreeFloor.map { Int64(clamping: $0.bytes) }
        if let flowRetention { configured.flowRetention = TimeInterval(flowRetention.seconds) }
        if let approvalTimeout { configured.approvalTimeout = approvalTimeout }
        configured.replicaName = replicaName
        configured.agentAdvertiseAddress = agentAdvertiseAddress
        do {
            configured.externalURL = try externalURL.map(ExternalURL.init(parsing:))
            configured.identity = try (identityConfig.map { path throws(TapsterError) in try IdentityConfiguration.load(path: path) } ?? .localOnly)
                .applyingKeystoneOptions(url: keystoneURL, serviceUser: keystoneServiceUser, servicePasswordFile: keystoneServicePasswordFile,
                                         serviceProject: keystoneServiceProject, environment: environment)
            _ = try configured.replicaIdentity
        } catch {
            throw ValidationError(error.message)
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "tapster")
        logger.logLevel = logLevel
        let localAgent = try withAgent ? localAgentSettings(agentHost: agents.host, agentPort: agents.port) : nil
        // Before the server starts: with another agent of this name on the host, serve exits at once saying so.
        let instance: AgentInstanceLock?
        if let localAgent { instance = try await AgentInstanceLock(agent: localAgent.name) } else { instance = nil }
        try await TapsterServer.run(configured, logger: logger) { controlPlane in
            guard let localAgent, let instance else { return [] }
            var agentLogger = Logger(label: "tapster-agent")
            agentLogger.logLevel = logLevel
            return [LocalAgentService(controlPlane: controlPlane, settings: localAgent, instance: instance, logger: agentLogger)]
        }
    }

    /// The local agent's settings: it reaches the agent endpoint over loopback when that listens on every address.
    private func localAgentSettings(agentHost: String, agentPort: Int) throws -> AgentSettings {
        let host = ["0.0.0.0", "::", "[::]"].contains(agentHost) ? "127.0.0.1" : agentHost
        let server: ServerAddress
        do {
            server = try ServerAddress(parsing: "\(host):\(agentPort)")
        } catch {
            throw ValidationError(error.description)
        }
        return AgentSettings(server: server, name: agentName ?? AgentSettings.hostName.lowercased(),
                             dataDirectory: URL(fileURLWithPath: dataDir).appendingPathComponent("agent"),
                             configurationPath: agentConfig)
    }
}

