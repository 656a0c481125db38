import Foundation

/// A host's agent, as the control plane knows it: enrolled with a join token, identified by the
/// client certificate the server's CA issued it, connected or not.
public struct Agent: Codable, Sendable, Equatable, Identifiable {
    /// Whether the agent is connected, and whether its certificate is still honoured.
    public enum State: String, Codable, Sendable {
        case connected, disconnected, revoked
    }

    public var id: String
    /// Unique among agents; the `host` of every workload it reports.
    public var name: String
    public var version: String?
    public var state: State
    public var createdAt: Date
    /// When a message last arrived from it.
    public var lastSeenAt: Date?
    /// The machine's host name, as its last Hello said.
    public var hostname: String?
    /// The address its last connection came from.
    public var address: String?
    /// Where other agents tunnel `port`-target frames for this host (GRE-TEB), when it accepts them.
    public var tunnelAddress: String?
    /// The serial number (hex) of its current client certificate.
    public var certificateSerial: String?
    /// When it last enrolled (its current certificate was issued).
    public var enrolledAt: Date?
    /// When its current (or last) control channel opened.
    public var connectedAt: Date?
    /// When an admin revoked it.
    public var revokedAt: Date?
    /// The revision of the last desired set it said it applied.
    public var appliedRevision: UInt64?
    /// The server replica whose agent channel it is (or was last) connected to, among replicas sharing one
    /// PostgreSQL database; `nil` when none holds it.
    public var replica: String?

    public init(id: String = Identifier.make(), name: String, version: String? = nil, state: State, createdAt: Date,
                lastSeenAt: Date? = nil, hostname: String? = nil, address: String? = nil, tunnelAddress: String? = nil,
                certificateSerial: String? = nil, enrolledAt: Date? = nil, connectedAt: Date? = nil, revokedAt: Date? = nil,
                appliedRevision: UInt64? = nil) {
        self.id = id
        self.name = name
        self.version = version
        self.state = state
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.hostname = hostname
        self.address = address
        self.tunnelAddress = tunnelAddress
        self.certificateSerial = certificateSerial
        self.enrolledAt = enrolledAt
        self.connectedAt = connectedAt
        self.revokedAt = revokedAt
        self.appliedRevision = appliedRevision
    }
}

/// A join token's record: single use, expiring, for one named host. The secret is shown once, when it is
/// created, and stored only as its hash.
public struct AgentJoinToken: Codable, Sendable, Equatable, Identifiable {
    /// What a token lets its holder do with the name it is for.
    public enum Purpose: String, Codable, Sendable, CaseIterable {
        /// Enrol a new agent of that name: refused while an agent of that name exists.
        case enrol
        /// Enrol an existing agent of that name again (a new key and certificate; the old one is revoked):
        /// refused when no agent of that name exists. The only way an identity is ever replaced.
        case reenrol
    }

    public var id: String
    /// The agent name it enrols; enrolling under any other name with it is refused. `nil` only for
    /// tokens made before tokens named their host, which are refused.
    public var agent: String?
    /// `nil` only for tokens made before tokens named their host.
    public var purpose: Purpose?
    /// The user who created it.
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date
    /// When an agent enrolled with it; a used token is refused.
    public var usedAt: Date?
    /// The agent that enrolled with it.
    public var usedBy: String?

    public init(id: String, agent: String?, purpose: Purpose?, createdBy: String, createdAt: Date, expiresAt: Date,
                usedAt: Date? = nil, usedBy: String? = nil) {
        self.id = id
        self.agent = agent
        self.purpose = purpose
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.usedBy = usedBy
    }

    /// Defaults and limits of a token's lifetime.
    public static let defaultTTL = TapDuration(seconds: 3_600)
    public static let maximumTTL = TapDuration(seconds: 7 * 86_400)
}

