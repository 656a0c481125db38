import TapsterAPI
import TapsterCore

/// One of the API's collections (`/api/v1/targets`, …) and the type of its items.
public struct ResourceCollection<Item: TableRenderable & Decodable>: Sendable {
    /// The path below `/api/v1`, with any user-supplied part already escaped.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `/api/v1/<path>`.
    public var url: String { APIPath.base + "/" + path }

    /// `/api/v1/<path>/<reference>[/<suffix>]`, the reference escaped.
    public func url(_ reference: String, _ suffix: String? = nil) -> String {
        url + "/" + APIPath.escape(reference) + (suffix.map { "/" + $0 } ?? "")
    }
}

/// The API's collections.
public enum Resources {
    public static let tenants = ResourceCollection<Tenant>(path: "tenants")
    public static let users = ResourceCollection<User>(path: "users")
    public static let targets = ResourceCollection<Target>(path: "targets")
    public static let filters = ResourceCollection<FilterView>(path: "filters")
    public static let grants = ResourceCollection<Grant>(path: "grants")
    public static let taps = ResourceCollection<Tap>(path: "taps")
    public static let captures = ResourceCollection<Capture>(path: "captures")
    public static let workloads = ResourceCollection<Workload>(path: "workloads")
    public static let namespaceMappings = ResourceCollection<NamespaceMapping>(path: "namespace-mappings")
    public static let agents = ResourceCollection<Agent>(path: "agents")
    public static let recorders = ResourceCollection<RecorderView>(path: "recorders")
    public static let agentTokens = ResourceCollection<AgentJoinToken>(path: "agent-tokens")
    public static let audit = ResourceCollection<AuditEvent>(path: "audit")
    public static let triggers = ResourceCollection<Trigger>(path: "triggers")

    /// The API tokens of one user.
    public static func tokens(of user: String) -> ResourceCollection<APIToken> {
        ResourceCollection(path: "users/\(APIPath.escape(user))/tokens")
    }
}

extension ResourceCollection where Item == Trigger {
    /// The triggers collection as its creation answers: the trigger with its secret.
    public var created: ResourceCollection<TriggerCreated> { ResourceCollection<TriggerCreated>(path: path) }
}
