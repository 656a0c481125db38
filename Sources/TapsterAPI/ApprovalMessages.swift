import TapsterCore

/// `POST /api/v1/taps/{id}/approve` and `/reject`: the approver's reason (required to reject, optional to approve).
public struct ApprovalDecisionRequest: Codable, Sendable, Equatable {
    public var reason: String?
    public init(reason: String? = nil) { self.reason = reason }
}

/// `GET|PUT /api/v1/policy/approval`: whether taps of full-payload targets need approval by default, and how long a
/// request waits for a decision (the server's `--approval-timeout`, read-only here).
public struct ApprovalSettings: Codable, Sendable, Equatable {
    public var approvalForFullPayload: Bool
    /// Read-only: set by `tapster serve --approval-timeout`.
    public var approvalTimeout: TapDuration?

    public init(approvalForFullPayload: Bool, approvalTimeout: TapDuration? = nil) {
        self.approvalForFullPayload = approvalForFullPayload
        self.approvalTimeout = approvalTimeout
    }
}
