import TapsterCore
import TapsterStore

/// Access taken away ends the taps it admitted: the identity service (users disabled, deleted, moved) and
/// the catalog (grants deleted) call this after their change commits.
extension TapService {
    /// Stops every live tap (and so its capture) that its owner could not open now: the owner was deleted
    /// or disabled, left the tap's tenant, lost the role, or no grant admits the tap's filter and target
    /// for them any more. Run after every change that can take access away; each stop is audited with
    /// `stopped_by: admin`, the acting `p` and `reason`. Returns the taps it stopped.
    @discardableResult
    func stopTapsNoLongerAdmitted(by p: Principal, reason: String) async throws -> [Tap] {
        let live = try await store.listTaps(TapQuery(states: [.pending, .active]))
        guard !live.isEmpty else { return [] }
        let grants = try await store.list(.grants, tenants: nil)
        var owners: [String: User] = [:]
        var stopped: [Tap] = []
        for tap in live {
            var owner: User?
            if let id = tap.ownerID {
                if let known = owners[id] {
                    owner = known
                } else {
                    owner = try await store.findUser(id)
                    owners[id] = owner
                }
            }
            guard !Self.isStillAdmitted(tap, owner: owner, grants: grants) else { continue }
            do {
                stopped.append(try await stopTap(p, tap.id, auditDetails: ["reason": reason]))
            } catch let error as TapsterError where error.code == .invalidState || error.code == .notFound {
                continue  // it ended meanwhile
            }
        }
        return stopped
    }

    /// Whether `owner` could still hold `tap`: the same conditions as ``TapAdmission`` (but the duration
    /// and quota, decided when it opened).
    static func isStillAdmitted(_ tap: Tap, owner: User?, grants: [Grant]) -> Bool {
        guard let owner, !owner.disabled else { return false }
        switch owner.role {
        case .admin: return true
        case .auditor: return false
        case .owner:
            let principal = owner.principal
            if let tenant = tap.tenant, !principal.belongs(to: tenant) { return false }
            return grants.contains { $0.filter == tap.filter && $0.target == tap.target && $0.spec.addresses(principal) }
        }
    }
}
