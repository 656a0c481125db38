import Foundation

/// One entry of the append-only audit log.
///
/// Events form a hash chain: ``hash`` is SHA-256 over the event's fields and the previous
/// event's hash (``previousHash``), so editing or deleting any stored event breaks the chain
/// at that point (see ``AuditChain``).
public struct AuditEvent: Codable, Sendable, Equatable {
    /// Position in the chain, from 1, without gaps.
    public var sequence: Int64
    public var time: Date
    /// The user name, or `system` for the scheduler and start-up.
    public var actor: String
    /// What happened, e.g. `tap.created`, `tap.expired`, `target.deleted` (see ``AuditAction``).
    public var action: String
    /// The kind of object acted on (`tap`, `target`, …).
    public var objectType: String
    public var objectId: String?
    public var objectName: String?
    /// The tenant the object belongs to, for tenant-scoped reading.
    public var tenant: String?
    /// Further facts, e.g. `stopped_by`, `deadline`, `filter`.
    public var details: [String: String]
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, time: Date, actor: String, action: String, objectType: String, objectId: String?,
                objectName: String?, tenant: String?, details: [String: String], previousHash: String, hash: String) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.action = action
        self.objectType = objectType
        self.objectId = objectId
        self.objectName = objectName
        self.tenant = tenant
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The stable audit action names.
public enum AuditAction {
    public static let tapCreated = "tap.created"
    public static let tapStopped = "tap.stopped"
    public static let tapExpired = "tap.expired"
    public static let tapFailed = "tap.failed"
    public static let tapReactivated = "tap.reactivated"
    public static let tapUpdated = "tap.updated"

    /// A capture started (its tap is created in the same transaction).
    public static let captureCreated = "capture.created"
    /// A capture ended: its pcapng is complete (details: reason, packets, drops, size).
    public static let captureStopped = "capture.stopped"
    /// The reader of a streamed capture went away (or never came), which stops it.
    public static let captureClientGone = "capture.client_gone"
    /// A user asked for a signed download URL of a stored capture.
    public static let captureDownloadLinkCreated = "capture.download_link_created"
    /// A user began reading a live streamed capture (the actor is who reads its packets).
    public static let captureStreamAttached = "capture.stream_attached"
    /// The reader of a live streamed capture stopped reading (the capture ended, or the reader left).
    public static let captureStreamDetached = "capture.stream_detached"
    /// A download through a signed URL was refused for its signature (expired, tampered, another capture's).
    public static let captureDownloadRefused = "capture.download_refused"
    /// A stored capture was fetched through a signed URL.
    public static let captureDownloaded = "capture.downloaded"
    /// A user deleted a capture (and its stored object).
    public static let captureDeleted = "capture.deleted"
    /// Retention deleted a stored capture's object.
    public static let captureExpired = "capture.expired"
    /// An admin entitled a user other than its owner to read a capture's packets (details: the user and their id).
    public static let captureReaderGranted = "capture.reader_granted"
    /// A user's entitlement to read a capture's packets ended: an admin revoked it, or the user was deleted,
    /// disabled, or no longer qualifies (details: the user, their id and why).
    public static let captureReaderRevoked = "capture.reader_revoked"

    public static func created(_ type: String) -> String { "\(type).created" }
    public static func updated(_ type: String) -> String { "\(type).updated" }
    public static func deleted(_ type: String) -> String { "\(type).deleted" }

    public static let loginSucceeded = "user.login"
    public static let loginFailed = "user.login_failed"
    /// A login refused without checking the password, because of too many recent failures.
    public static let loginThrottled = "user.login_throttled"
    public static let passwordChanged = "user.password_changed"
    public static let serverStarted = "server.started"

    /// An admin created an agent join token.
    public static let agentTokenCreated = "agent.token_created"
    /// An agent enrolled (or enrolled again) with a join token.
    public static let agentEnrolled = "agent.enrolled"
    /// An admin revoked an agent's certificate.
    public static let agentRevoked = "agent.revoked"
    /// An enrolment was refused (a token unknown, used, expired, for another name or purpose; a revoked agent).
    public static let agentEnrolmentRefused = "agent.enrolment_refused"
    /// An agent opened its control channel (with its address and tunnel address).
    public static let agentConnected = "agent.connected"
    /// An agent's tunnel address (where other hosts send `port`-target frames for it) changed.
    public static let agentTunnelAddressChanged = "agent.tunnel_address_changed"
    /// An agent sent packets or a status for a capture or tap the server did not plan for it; refused.
    public static let agentReportRefused = "agent.report_refused"
    /// A replica's heartbeat went stale (it died without leaving): another replica marked its agents
    /// disconnected and failed its live captures.
    public static let replicaLost = "replica.lost"
}

/// What is about to be appended to the audit log; the store gives it a sequence and hashes.
public struct AuditEntry: Sendable, Equatable {
    public var actor: String
    public var action: String
    public var objectType: String
    public var objectId: String?
    public var objectName: String?
    public var tenant: String?
    public var details: [String: String]

    public init(actor: String, action: String, objectType: String, objectId: String? = nil, objectName: String? = nil,
                tenant: String? = nil, details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.objectType = objectType
        self.objectId = objectId
        self.objectName = objectName
        self.tenant = tenant
        self.details = details
    }
}
