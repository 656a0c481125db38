import TapsterAPI
import TapsterCore

/// Four-eyes approval: approve or reject a pending tap; read and set the approval policy.
extension CommandSession {
    /// Approves a pending tap (an admin other than its requester).
    public func approveTap(_ id: String, reason: String?) async throws {
        try show(try await client.post(Resources.taps.url(id, "approve"), body: ApprovalDecisionRequest(reason: reason), as: Tap.self))
    }

    /// Rejects a pending tap, saying why.
    public func rejectTap(_ id: String, reason: String) async throws {
        try show(try await client.post(Resources.taps.url(id, "reject"), body: ApprovalDecisionRequest(reason: reason), as: Tap.self))
    }

    /// Shows the approval policy in force.
    public func showApprovalPolicy() async throws {
        try show(try await client.get(Self.approvalPolicyPath, as: ApprovalSettings.self))
    }

    /// Turns approval for full-payload targets on or off.
    public func setApprovalForFullPayload(_ on: Bool) async throws {
        try show(try await client.put(Self.approvalPolicyPath, body: ApprovalSettings(approvalForFullPayload: on), as: ApprovalSettings.self))
    }

    static let approvalPolicyPath = APIPath.base + "/policy/approval"
}
