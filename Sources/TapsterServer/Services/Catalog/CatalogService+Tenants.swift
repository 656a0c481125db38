import TapsterAPI
import TapsterCore
import TapsterStore

extension CatalogService {
    public func listTenants(_ p: Principal) async throws -> [Tenant] {
        try Policy.require(p, .read, .tenant, .collection)
        let all = try await store.list(.tenants, tenants: nil)
        guard let scope = Policy.tenantScope(of: p) else { return all }
        return all.filter { scope.contains($0.name) }
    }

    public func tenant(_ p: Principal, _ reference: String) async throws -> Tenant {
        let tenant = try await store.find(reference, in: .tenants)
        try Policy.require(p, .read, .tenant, .object(visible: tenant.map { Policy.isVisible(tenant: $0.name, to: p) } ?? false), reference: reference)
        guard let tenant else { throw TapsterError.notFound("tenant", reference) }
        return tenant
    }

    public func createTenant(_ p: Principal, _ spec: TenantSpec) async throws -> Tenant {
        try Policy.require(p, .create, .tenant, .collection)
        let spec = try spec.validated()
        return try await store.transaction { session in
            let tenant = Tenant(createdAt: now, spec: spec)
            try await session.insert(tenant, into: .tenants)
            try await audit(session, p, AuditAction.created("tenant"), .tenant, id: tenant.id, name: spec.name, tenant: spec.name)
            return tenant
        }
    }

    public func updateTenant(_ p: Principal, _ reference: String, _ patch: TenantPatch) async throws -> Tenant {
        var tenant = try await tenant(p, reference)
        try Policy.require(p, .update, .tenant, .object(visible: true), reference: reference)
        if let description = patch.description { tenant.spec.description = description }
        switch patch.storedBytesQuota {
        case .set(let bytes): tenant.spec.storedBytesQuota = bytes
        case .remove: tenant.spec.storedBytesQuota = nil
        case nil: break
        }
        tenant.spec = try tenant.spec.validated()
        tenant.updatedAt = now
        let updated = tenant
        try await store.transaction { session in
            try await session.update(updated, in: .tenants)
            try await audit(session, p, AuditAction.updated("tenant"), .tenant, id: updated.id, name: updated.name, tenant: updated.name)
        }
        return updated
    }

    public func deleteTenant(_ p: Principal, _ reference: String) async throws {
        let tenant = try await tenant(p, reference)
        try Policy.require(p, .delete, .tenant, .object(visible: true), reference: reference)
        try await store.transaction { session in
            let name = tenant.name
            var users: [String] = []
            for user in try await session.listUsers() where user.spec.tenants.contains(name) { users.append(user.name) }
            let dependents = [
                ("users", users),
                ("targets", try await session.list(.targets, tenants: [name]).map(\.name)),
                ("filters", try await session.list(.filters, tenants: [name]).map(\.name)),
                ("grants", try await session.list(.grants, tenants: [name]).map(\.id)),
                ("namespace mappings", try await session.list(.namespaceMappings, tenants: [name]).map(\.pattern)),
                ("live taps", try await session.listTaps(TapQuery(tenants: [name], states: [.pending, .active])).map(\.id)),
            ].filter { !$0.1.isEmpty }
            if let (kind, names) = dependents.first {
                throw TapsterError(.inUse, "tenant \"\(name)\" still has \(kind): \(names.prefix(5).joined(separator: ", "))")
            }
            try await session.delete(id: tenant.id, from: .tenants)
            try await audit(session, p, AuditAction.deleted("tenant"), .tenant, id: tenant.id, name: name, tenant: name)
        }
    }
}
