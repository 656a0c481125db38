import Foundation
import TapsterCore

/// How `tapster serve` is set up: where it listens, where its data lives, which database.
public struct ServerConfiguration: Sendable {
    /// The default API/portal port.
    public static let defaultPort = 7380

    public var host: String
    /// 0 asks the system for a free port (the banner prints the real one).
    public var port: Int
    public var dataDirectory: String
    /// `postgres://…`, or `nil` for SQLite at `<data dir>/tapster.sqlite`.
    public var databaseURL: String?
    /// Becomes the first admin's API token on first start, instead of a generated one.
    public var initialAdminToken: String?
    /// Where agents connect (gRPC with mutual TLS; the CA is in `<data dir>/pki/`). Loopback by default.
    public var agentChannel: AgentChannelConfiguration
    /// The most bytes one capture holds in memory (`--capture-buffer`).
    public var captureBuffer: Int = CaptureSettings.defaultBufferBudget
    /// The most bytes all running captures together hold in memory (`--capture-total-buffer`); `nil`: 32
    /// captures' worth (``CaptureSettings/totalBufferBudget``).
    public var captureTotalBuffer: Int?
    /// Stored captures are refused while the filesystem capture store has less free than this
    /// (`--capture-store-free-floor`); `nil`: ``CaptureSettings/storeFreeSpaceFloor``'s default.
    public var captureStoreFreeFloor: Int64?
    /// How long flow records are kept (`--flow-retention`).
    public var flowRetention: TimeInterval = FlowService.defaultRetention
    /// How long a tap waiting for approval waits before it expires unanswered (`--approval-timeout`).
    public var approvalTimeout: TapDuration = ApprovalPolicy.defaultTimeout
    /// Where stored captures go: `s3://bucket/prefix?endpoint=…` (`--capture-store`); `nil` for the
    /// filesystem under ``capturesDirectory``.
    public var captureStore: String?
    /// The URL users reach this server at (`--external-url`, e.g. `https://tapster.example.com`), for the
    /// absolute links it hands out (signed downloads). Never taken from a request's `Host` header, which
    /// the client chooses; without it, links are paths on whatever URL the client used.
    public var externalURL: ExternalURL?
    /// This replica's name among those sharing the database (`--replica-name`); `nil`: `hostname:port`.
    /// See ``replicaIdentity``.
    public var replicaName: String?
    /// `HOST:PORT` agents reach this replica's agent channel at (`--agent-advertise-address`); `nil`: the
    /// agent channel's listen address. See ``replicaIdentity``.
    public var agentAdvertiseAddress: String?
    /// The identity providers trusted besides local accounts and API tokens (`--identity-config`, `--keystone-url`).
    public var identity: IdentityConfiguration = .localOnly

    public init(host: String = "127.0.0.1", port: Int = ServerConfiguration.defaultPort, dataDirectory: String = "./tapster-data",
                databaseURL: String? = nil, initialAdminToken: String? = nil,
                agentChannel: AgentChannelConfiguration = AgentChannelConfiguration()) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.initialAdminToken = initialAdminToken
        self.agentChannel = agentChannel
    }

    /// Where stored captures are kept when no `--capture-store` names another place.
    public var capturesDirectory: URL {
        URL(fileURLWithPath: dataDirectory, isDirectory: true).appendingPathComponent("captures", isDirectory: true)
    }

    /// The directory of the agent channel's certificate authority.
    public var pkiDirectory: URL {
        URL(fileURLWithPath: dataDirectory, isDirectory: true).appendingPathComponent("pki", isDirectory: true)
    }

    /// Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback); errors name `field`.
    public static func parseListen(_ text: String, field: String = "listen") throws(TapsterError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw TapsterError.invalid(field, "\"\(text)\" is not HOST:PORT, e.g. 127.0.0.1:\(field == "listen" ? defaultPort : AgentChannelConfiguration.defaultPort)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// The database URL in force.
    public var effectiveDatabaseURL: String {
        databaseURL ?? (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/") + "tapster.sqlite"
    }
}
