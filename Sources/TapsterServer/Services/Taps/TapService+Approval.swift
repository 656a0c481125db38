import Foundation
import TapsterAPI
import TapsterCore
import TapsterStore

extension AuditAction {
    /// An owner's tap was created waiting for approval (four-eyes).
    public static let tapApprovalRequested = "tap.approval_requested"
    /// An admin other than the requester approved a pending tap: it is active from now.
    public static let tapApproved = "tap.approved"
    /// An admin other than the requester rejected a pending tap: it ended `rejected`.
    public static let tapRejected = "tap.rejected"
}

/// Four-eyes approval: a tap admitted through a grant that requires approval waits `pending` (agents are never sent
/// it) until an admin other than the requester approves it — its deadline then counts from the approval — or
/// rejects it, or it expires unanswered after ``TapService/approvalTimeout`` (the expiry scheduler's: a pending tap's
/// deadline is its request's expiry, so one compare-and-set expires it once across replicas).
extension TapService {
    /// Whether the admin turned on approval for full-payload targets (``ApprovalPolicy/fullPayloadSetting``).
    public func fullPayloadNeedsApproval() async throws -> Bool {
        try await store.setting(ApprovalPolicy.fullPayloadSetting) == ApprovalPolicy.on
    }

    /// Turns approval for full-payload targets on or off (admins only), audited.
    public func setFullPayloadNeedsApproval(_ p: Principal, _ on: Bool) async throws -> ApprovalSettings {
        try Policy.require(p, .update, .grant, .collection)
        try await store.transaction { session in
            try await session.setSetting(ApprovalPolicy.fullPayloadSetting, on ? ApprovalPolicy.on : "off")
            try await audit(session, p, AuditAction.approvalPolicyChanged, .grant, id: nil, name: ApprovalPolicy.fullPayloadSetting,
                            tenant: nil, details: [ApprovalPolicy.fullPayloadSetting: on ? "on" : "off"])
        }
        return try await approvalSettings(p)
    }

    /// The approval policy in force: the setting and the server's request timeout.
    public func approvalSettings(_ p: Principal) async throws -> ApprovalSettings {
        try Policy.require(p, .read, .grant, .collection)
        return ApprovalSettings(approvalForFullPayload: try await fullPayloadNeedsApproval(), approvalTimeout: approvalTimeout)
    }

    /// Approves a pending tap: only an admin who did not request it (``Policy/requireApprover(_:of:)``). The tap becomes
    /// active with its deadline `now + duration`, and goes out to agents on the change feed.
    @discardableResult
    public func approveTap(_ p: Principal, _ id: String, _ decision: ApprovalDecisionRequest = ApprovalDecisionRequest()) async throws -> Tap {
        if let reason = decision.reason { try Validation.text(reason, field: "reason", maximum: 1024) }
        return try await decide(p, id, .approve(approver: p.name, approverID: p.userID, reason: decision.reason), action: AuditAction.tapApproved)
    }

    /// Rejects a pending tap with a reason (required): it ends `rejected`, never having reached an agent.
    @discardableResult
    public func rejectTap(_ p: Principal, _ id: String, _ decision: ApprovalDecisionRequest) async throws -> Tap {
        guard let reason = decision.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
            throw TapsterError.invalid("reason", "say why the tap is rejected (the owner and the audit trail read it)")
        }
        try Validation.text(reason, field: "reason", maximum: 1024)
        return try await decide(p, id, .reject(approver: p.name, approverID: p.userID, reason: reason), action: AuditAction.tapRejected)
    }

    private func decide(_ p: Principal, _ id: String, _ event: TapEvent, action: String) async throws -> Tap {
        let tap = try await visibleTap(p, id, .read)
        try Policy.requireApprover(p, of: tap)
        guard tap.state == .pending, tap.approval?.state == .pending else {
            throw TapsterError(.invalidState, "tap \(id) is \(tap.state.rawValue)"
                               + (tap.approval == nil ? " and needed no approval" : ", its approval \(tap.approval!.state.rawValue)")
                               + "; only a pending request can be approved or rejected")
        }
        // Its request's deadline passed: it expired unanswered, even if the expiry scheduler has not marked it yet.
        let decidedAt = now
        guard tap.deadline > decidedAt else {
            throw TapsterError(.invalidState, "tap \(id)'s request expired unanswered at \(TapsterJSON.formatTime(tap.deadline)); "
                               + "it can no longer be approved or rejected (the owner may request it again)")
        }
        let decided = try tap.applying(event, at: decidedAt)
        return try await transaction(publishing: { [.tap(id: $0.id, .updated)] }) { session in
            guard try await session.updateTap(decided, ifStateIs: .pending) else {
                let current = try await session.findTap(id: id)?.state.rawValue ?? "gone"
                throw TapsterError(.invalidState, "tap \(id) is \(current); only a pending request can be approved or rejected")
            }
            var details = ["owner": tap.owner, "requested_at": TapsterJSON.formatTime(tap.createdAt), "approver": p.name]
            if decided.state == .active { details["deadline"] = TapsterJSON.formatTime(decided.deadline) }
            if let reason = decided.approval?.reason { details["reason"] = reason }
            try await audit(session, p, action, .tap, id: tap.id, name: nil, tenant: tap.tenant, details: details)
            return decided
        }
    }

    /// `tap` made a request waiting for approval: `pending`, with its deadline the request's expiry.
    func awaitingApproval(_ tap: Tap) -> Tap {
        var pending = tap
        pending.state = .pending
        pending.approval = TapApproval(requestedAt: tap.createdAt)
        pending.deadline = tap.createdAt.addingTimeInterval(TimeInterval(approvalTimeout.seconds))
        return pending
    }
}

extension AuditAction {
    /// An admin turned approval for full payload on or off.
    public static let approvalPolicyChanged = "policy.approval_changed"
}
