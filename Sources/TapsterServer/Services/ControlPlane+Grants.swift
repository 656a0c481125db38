import Foundation
import TapsterCore
import TapsterStore

extension ControlPlane {
    public func listGrants(_ p: Principal) async throws -> [Grant] {
        try Policy.require(p, .read, .grant, .collection)
        return p.role == .owner ? try await grants(addressedTo: p, in: store) : try await store.list(.grants, tenants: nil)
    }

    public func grant(_ p: Principal, _ id: String) async throws -> Grant {
        let grant = try await store.find(id, in: .grants)
        try Policy.require(p, .read, .grant, .object(visible: grant.map { p.role != .owner || $0.spec.addresses(p) } ?? false), reference: id)
        guard let grant else { throw TapsterError.notFound("grant", id) }
        return grant
    }

    public func createGrant(_ p: Principal, _ spec: GrantSpec) async throws -> Grant {
        try Policy.require(p, .create, .grant, .collection)
        let spec = try spec.validated()
        return try await store.transaction { session in
            if let name = spec.user {
                guard let user = try await session.findUser(name) else { throw TapsterError.invalid("user", "user \"\(name)\" does not exist") }
                guard user.role == .owner else { throw TapsterError.invalid("user", "\"\(name)\" is an \(user.role.rawValue); grants are for owners") }
            }
            if let tenant = spec.tenant { try await requireTenantsExist([tenant], field: "tenant", session: session) }
            guard try await session.find(spec.filter, in: .filters) != nil else { throw TapsterError.invalid("filter", "filter \"\(spec.filter)\" does not exist") }
            guard try await session.find(spec.target, in: .targets) != nil else { throw TapsterError.invalid("target", "target \"\(spec.target)\" does not exist") }
            let duplicate = try await session.list(.grants, tenants: nil).first {
                $0.user == spec.user && $0.tenant == spec.tenant && $0.filter == spec.filter && $0.target == spec.target
            }
            if let duplicate {
                throw TapsterError(.alreadyExists, "grant \(duplicate.id) already gives this filter and target to \(spec.user ?? spec.tenant ?? "")")
            }
            let grant = Grant(createdAt: now, spec: spec)
            try await session.insert(grant, into: .grants)
            try await audit(session, p, AuditAction.created("grant"), .grant, id: grant.id, name: nil, tenant: spec.tenant,
                            details: Self.auditDetails(spec))
            return grant
        }
    }

    /// Deletes a grant, and stops the live taps and captures it admitted that no other grant admits.
    public func deleteGrant(_ p: Principal, _ id: String) async throws {
        let grant = try await grant(p, id)
        try Policy.require(p, .delete, .grant, .object(visible: true), reference: id)
        try await store.transaction { session in
            try await session.delete(id: grant.id, from: .grants)
            try await audit(session, p, AuditAction.deleted("grant"), .grant, id: grant.id, name: nil, tenant: grant.tenant,
                            details: Self.auditDetails(grant.spec))
        }
        try await stopTapsNoLongerAdmitted(by: p, reason: "grant \(grant.id) was deleted")
    }

    // MARK: Revocation

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

    private static func auditDetails(_ spec: GrantSpec) -> [String: String] {
        var details = ["filter": spec.filter, "target": spec.target, "max_duration": spec.maxDuration.description]
        if let user = spec.user { details["user"] = user }
        if let tenant = spec.tenant { details["tenant"] = tenant }
        return details
    }
}
