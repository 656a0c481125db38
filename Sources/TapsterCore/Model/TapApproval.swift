import Foundation

/// Whether the taps a ``GrantSpec`` admits wait for a second person's approval (four-eyes).
public enum ApprovalRequirement: String, Codable, Sendable, CaseIterable {
    /// An owner's tap through the grant is created `pending`; an admin other than the requester approves it.
    case required
    /// The tap starts at once.
    case none
}

/// A tap's four-eyes approval: asked for when the tap was requested, decided by an admin who is not the requester.
///
/// While it is `pending` the tap is `pending` too and never reaches an agent; its ``Tap/deadline`` is then the time the
/// request expires unanswered. Once approved, the deadline counts from ``decidedAt``.
public struct TapApproval: Codable, Sendable, Equatable {
    /// Where the request stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        case pending, approved, rejected, expired
    }

    public var state: State
    /// When the owner asked (the tap's creation).
    public var requestedAt: Date
    /// The admin who approved or rejected it (their name then; shown only).
    public var approver: String?
    /// The id of that admin: the self-approval rule compares ids, never names.
    public var approverID: String?
    /// When it was approved, rejected or expired.
    public var decidedAt: Date?
    /// Why it was rejected (or, optionally, a note on approval).
    public var reason: String?

    // `approver_id` in JSON: spelled so that snake-case conversion reads back what it wrote.
    private enum CodingKeys: String, CodingKey {
        case state, requestedAt, approver, approverID = "approverId", decidedAt, reason
    }

    public init(state: State = .pending, requestedAt: Date, approver: String? = nil, approverID: String? = nil,
                decidedAt: Date? = nil, reason: String? = nil) {
        self.state = state
        self.requestedAt = requestedAt
        self.approver = approver
        self.approverID = approverID
        self.decidedAt = decidedAt
        self.reason = reason
    }
}

/// The server-wide approval policy an admin sets (`tapster policy set approval-for-full-payload on`).
public enum ApprovalPolicy {
    /// The setting's name, in the API, the CLI and the store.
    public static let fullPayloadSetting = "approval-for-full-payload"
    /// The setting's stored value when on (anything else is off).
    public static let on = "on"
    /// How long a request waits for a decision unless the server is told otherwise (`tapster serve --approval-timeout`).
    public static let defaultTimeout = TapDuration(seconds: 3600)

    /// Whether a grant requires approval: its own ``GrantSpec/approval`` when set; otherwise `required` exactly
    /// when the admin turned on approval for full payload and the target sends full payload.
    public static func requirement(of grant: GrantSpec, target: Target, fullPayloadNeedsApproval: Bool) -> ApprovalRequirement {
        if let explicit = grant.approval { return explicit }
        return fullPayloadNeedsApproval && sendsFullPayload(target.spec) ? .required : .none
    }

    /// Whether a target's taps carry whole packets (a `flows` target keeps none).
    public static func sendsFullPayload(_ target: TargetSpec) -> Bool {
        target.kind != .flows && target.effectivePayload == .full
    }
}
