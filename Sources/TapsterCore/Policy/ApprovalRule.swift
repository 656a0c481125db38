/// Four-eyes approval, decided once: who may approve or reject a tap waiting for approval.
///
/// - only an admin decides (owners and auditors are refused, 403 `forbidden`);
/// - never the requester, by user id — an admin's own request needs another admin (403 `self_approval`);
/// - the system (no user id) never decides: a request nobody answers expires.
extension Policy {
    /// The outcome of ``decideApproval(_:requesterID:)``.
    public enum ApprovalDecision: Sendable, Equatable {
        case allow
        /// Not an admin (or not a person).
        case forbidden(String)
        /// The principal asked for the tap themselves.
        case selfApproval
    }

    /// Whether `principal` may approve or reject a request made by the user `requesterID` (`nil`: the requester
    /// no longer exists, so anyone else entitled may decide).
    public static func decideApproval(_ principal: Principal, requesterID: String?) -> ApprovalDecision {
        guard principal.isAdmin, !principal.userID.isEmpty else {
            return .forbidden(principal.role == .auditor ? "auditors have read-only access" : "only admins approve or reject taps")
        }
        if let requesterID, requesterID == principal.userID { return .selfApproval }
        return .allow
    }

    /// Throws unless `principal` may approve or reject `tap`'s request: 403 `forbidden` or `self_approval`.
    public static func requireApprover(_ principal: Principal, of tap: Tap) throws(TapsterError) {
        switch decideApproval(principal, requesterID: tap.ownerID) {
        case .allow: return
        case .forbidden(let why): throw TapsterError(.forbidden, why)
        case .selfApproval:
            throw TapsterError(.selfApproval, "you requested tap \(tap.id) yourself; another admin must approve or reject it (four-eyes)")
        }
    }
}
