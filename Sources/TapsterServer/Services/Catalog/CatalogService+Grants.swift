import Foundation
import TapsterCore
import TapsterStore

extension CatalogService {
    public func listGrants(_ p: Principal) async throws -> [Grant] {
        try Policy.require(p, .read, .grant, .collection)
        return try await store.list(.grants, tenants: nil).filter { Policy.isVisible(grant: $0, to: p) }
    }

    public func grant(_ p: Principal, _ id: String) async throws -> Grant {
        let grant = try await store.find(id, in: .grants)
        try Policy.require(p, .read, .grant, .object(visible: grant.map { Policy.isVisible(grant: $0, to: p) } ?? false), reference: id)
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
        try await taps.stopTapsNoLongerAdmitted(by: p, reason: "grant \(grant.id) was deleted")
    }

    private static func auditDetails(_ spec: GrantSpec) -> [String: String] {
        var details = ["filter": spec.filter, "target": spec.target, "max_duration": spec.maxDuration.description]
        if let user = spec.user { details["user"] = user }
        if let tenant = spec.tenant { details["tenant"] = tenant }
        return details
    }
}
