#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How `tapster agent` was asked to run.
public struct AgentSettings: Sendable {
    /// The replicas' agent endpoints (`tapster serve --agent-listen`): any of them will do.
    public var servers: ServerList
    /// The join token, needed only until the agent is enrolled.
    public var joinToken: String?
    /// The agent's name: the host's name unless given. Unique among a server's agents.
    public var name: String
    /// Where the agent keeps its key, certificates and state.
    public var dataDirectory: URL
    /// The agent's configuration file (labels, scope), if any.
    public var configurationPath: String?
    /// The IPv4 address other hosts' agents send `port`-target frames to; none when nil.
    public var tunnelAddress: String?
    /// How often the inventory is rescanned (changes are reported within two scans).
    public var inventoryInterval: Duration
    /// How often per-tap status and counters are reported.
    public var statusInterval: Duration
    /// The Docker Engine API's socket (`--docker-socket`); wins over the configuration file's `docker-socket`.
    public var dockerSocket: String?
    /// The CRI socket asked for pods (`--cri-socket`); wins over the configuration file's `cri-socket`.
    public var criSocket: String?
    /// Whether taps may be mirrored in the kernel (`--datapath`).
    public var datapath: DatapathPreference = .userspace
    /// Whether `--datapath kernel` also delivers into local monitor ports in the kernel (`--kernel-port-delivery`):
    /// a second opt-in, since a tapped workload can then send frames matching the tap's filter into the port.
    public var kernelPortDelivery = false

    public init(servers: ServerList, joinToken: String? = nil, name: String, dataDirectory: URL,
                configurationPath: String? = nil, tunnelAddress: String? = nil,
                inventoryInterval: Duration = .seconds(1), statusInterval: Duration = .seconds(1)) {
        self.servers = servers
        self.joinToken = joinToken
        self.name = name
        self.dataDirectory = dataDirectory
        self.configurationPath = configurationPath
        self.tunnelAddress = tunnelAddress
        self.inventoryInterval = inventoryInterval
        self.statusInterval = statusInterval
    }

    /// Settings for one server (a single replica).
    public init(server: ServerAddress, joinToken: String? = nil, name: String, dataDirectory: URL,
                configurationPath: String? = nil, tunnelAddress: String? = nil,
                inventoryInterval: Duration = .seconds(1), statusInterval: Duration = .seconds(1)) {
        self.init(servers: ServerList(server), joinToken: joinToken, name: name, dataDirectory: dataDirectory,
                  configurationPath: configurationPath, tunnelAddress: tunnelAddress,
                  inventoryInterval: inventoryInterval, statusInterval: statusInterval)
    }

    /// This machine's host name, the default agent name.
    public static var hostName: String {
        ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
    }
}

/// The agent's version, reported at enrolment and on every connection.
public enum AgentVersion {
    public static let current = "0.3.0"
}
