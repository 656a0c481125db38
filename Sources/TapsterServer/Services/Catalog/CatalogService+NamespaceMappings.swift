import Logging
import TapsterCore
import TapsterStore

/// Namespace mappings: the admins' rules that give the pods of Kubernetes namespaces to tenants. Creating
/// or deleting one re-decides the tenant of every stored pod in the same transaction (``WorkloadTenancy``),
/// audits each pod it moves, and publishes the moves as workload changes, so that taps and captures follow.
extension CatalogService {
    /// The mappings `p` may see: admins and auditors all, an owner those of their tenants.
    public func listNamespaceMappings(_ p: Principal) async throws -> [NamespaceMapping] {
        try Policy.require(p, .read, .namespaceMapping, .collection)
        return try await store.list(.namespaceMappings, tenants: Policy.tenantScope(of: p))
    }

    /// One mapping, by id or pattern; 404 when it does not exist or `p` may not know it.
    public func namespaceMapping(_ p: Principal, _ reference: String) async throws -> NamespaceMapping {
        let mapping = try await store.find(reference, in: .namespaceMappings)
        let visible = mapping.map { Policy.isVisible(tenant: $0.tenant, to: p) } ?? false
        try Policy.require(p, .read, .namespaceMapping, .object(visible: visible), reference: reference)
        guard let mapping else { throw TapsterError.notFound(ResourceKind.namespaceMapping.rawValue, reference) }
        return mapping
    }

    public func createNamespaceMapping(_ p: Principal, _ spec: NamespaceMappingSpec) async throws -> NamespaceMapping {
        try Policy.require(p, .create, .namespaceMapping, .collection)
        let spec = try spec.validated()
        let (mapping, moved) = try await transaction(publishing: { Self.changes($0.1, mapping: $0.0, .created) }) { session in
            try await session.lockTenancyRules(exclusive: true)
            try await requireTenantsExist([spec.tenant], field: "tenant", session: session)
            let mapping = NamespaceMapping(createdAt: now, spec: spec)
            try await session.insert(mapping, into: .namespaceMappings)
            try await audit(session, p, AuditAction.created(ResourceKind.namespaceMapping.rawValue), .namespaceMapping, id: mapping.id,
                            name: spec.pattern, tenant: spec.tenant)
            return (mapping, try await movePods(session, p, because: mapping, .created))
        }
        logMoves(moved, because: mapping, "created")
        return mapping
    }

    public func deleteNamespaceMapping(_ p: Principal, _ reference: String) async throws {
        let mapping = try await namespaceMapping(p, reference)
        try Policy.require(p, .delete, .namespaceMapping, .object(visible: true), reference: reference)
        let moved = try await transaction(publishing: { Self.changes($0, mapping: mapping, .deleted) }) { session in
            try await session.lockTenancyRules(exclusive: true)
            guard try await session.delete(id: mapping.id, from: .namespaceMappings) else {
                throw TapsterError.notFound(ResourceKind.namespaceMapping.rawValue, reference)
            }
            try await audit(session, p, AuditAction.deleted(ResourceKind.namespaceMapping.rawValue), .namespaceMapping, id: mapping.id,
                            name: mapping.pattern, tenant: mapping.tenant)
            return try await movePods(session, p, because: mapping, .deleted)
        }
        logMoves(moved, because: mapping, "deleted")
    }

    /// Gives every stored pod the tenant the mappings in `session` decide now; returns the pods it moved,
    /// each audited as a workload update by `p` (details: the mapping and the previous tenant).
    private func movePods(_ session: any StoreSession, _ p: Principal, because mapping: NamespaceMapping,
                          _ kind: Change.Kind) async throws -> [Workload] {
        let tenancy = try await WorkloadTenancy.load(from: session)
        let stored = try await session.list(.workloads, tenants: nil)
        let previous = Dictionary(stored.map { ($0.id, $0.tenant) }, uniquingKeysWith: { first, _ in first })
        var moved: [Workload] = []
        for workload in tenancy.podsToMove(stored, at: now) {
            try await session.update(workload, in: .workloads)
            try await audit(session, p, AuditAction.updated("workload"), .workload, id: workload.id, name: "\(workload.host)/\(workload.name)",
                            tenant: workload.tenant, details: [
                                "via": "namespace-mapping", "namespace_mapping": "\(mapping.pattern) (\(kind.rawValue))",
                                "tenant": workload.tenant ?? "", "previous_tenant": (previous[workload.id] ?? nil) ?? ""])
            moved.append(workload)
        }
        return moved
    }

    private static func changes(_ moved: [Workload], mapping: NamespaceMapping, _ kind: Change.Kind) -> [Change] {
        [.namespaceMapping(pattern: mapping.pattern, kind)] + moved.map { .workload(id: $0.id, host: $0.host, .updated) }
    }

    private func logMoves(_ moved: [Workload], because mapping: NamespaceMapping, _ what: String) {
        guard !moved.isEmpty else { return }
        logger.info("namespace mapping \(what): pods moved to the tenant it decides", metadata: [
            "pattern": "\(mapping.pattern)", "tenant": "\(mapping.tenant)", "pods": "\(moved.count)"])
    }
}
