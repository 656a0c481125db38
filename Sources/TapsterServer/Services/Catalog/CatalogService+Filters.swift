import TapsterAPI
import TapsterCore
import TapsterStore

extension CatalogService {
    public func listFilters(_ p: Principal) async throws -> [FilterView] {
        let workloads = try await store.list(.workloads, tenants: nil)
        return try await visibleRecords(p, in: .filters, kind: .filter)
            .map { FilterView(filter: $0, matches: Self.matches(of: $0.spec, within: .visible(to: p), in: workloads).summary) }
    }

    func visibleFilter(_ p: Principal, _ reference: String) async throws -> Filter {
        try await visibleRecord(p, reference, in: .filters, kind: .filter)
    }

    public func filter(_ p: Principal, _ reference: String) async throws -> FilterView {
        let filter = try await visibleFilter(p, reference)
        return FilterView(filter: filter, matches: Self.matches(of: filter.spec, within: .visible(to: p),
                                                                in: try await store.list(.workloads, tenants: nil)).summary)
    }

    /// The workloads a filter selects now, of those the principal may see.
    public func filterWorkloads(_ p: Principal, _ reference: String) async throws -> [Workload] {
        let filter = try await visibleFilter(p, reference)
        return Self.matches(of: filter.spec, within: .visible(to: p), in: try await store.list(.workloads, tenants: nil)).workloads
    }

    /// What a filter spec would select, without saving it (the portal's live preview).
    public func previewFilter(_ p: Principal, _ spec: FilterSpec) async throws -> FilterPreview {
        try Policy.require(p, .create, .filter, .collection)
        let spec = try spec.validated()
        try await filterCompiler.check(spec, allowingNames: true)
        let matches = Self.matches(of: spec, within: .visible(to: p), in: try await store.list(.workloads, tenants: nil))
        return FilterPreview(workloads: matches.workloads.count, hosts: matches.summary.hosts, items: matches.workloads)
    }

    public func createFilter(_ p: Principal, _ spec: FilterSpec) async throws -> FilterView {
        try Policy.require(p, .create, .filter, .collection)
        let spec = try spec.validated()
        try await filterCompiler.check(spec, allowingNames: true)
        // Published like every other change: other replicas' agent hubs keep a model of every filter.
        let filter = try await transaction(publishing: { (filter: Filter) in [.filter(name: filter.name, .created)] }) { session in
            if let tenant = spec.tenant { try await requireTenantsExist([tenant], field: "tenant", session: session) }
            let filter = Filter(createdAt: now, spec: spec)
            try await session.insert(filter, into: .filters)
            try await audit(session, p, AuditAction.created("filter"), .filter, id: filter.id, name: spec.name, tenant: spec.tenant,
                            details: Self.auditDetails(spec))
            return filter
        }
        return FilterView(filter: filter, matches: Self.matches(of: spec, within: .visible(to: p), in: try await store.list(.workloads, tenants: nil)).summary)
    }

    public func replaceFilter(_ p: Principal, _ reference: String, _ spec: FilterSpec) async throws -> FilterView {
        var filter = try await visibleFilter(p, reference)
        try Policy.require(p, .update, .filter, .object(visible: true), reference: reference)
        guard spec.name == filter.name else { throw TapsterError.invalid("name", "a filter's name cannot change (\"\(filter.name)\")") }
        filter.spec = try spec.validated()
        try await filterCompiler.check(filter.spec, allowingNames: true)
        filter.updatedAt = now
        let updated = filter
        try await transaction(publishing: { _ in [.filter(name: updated.name, .updated)] }) { session in
            if let tenant = updated.tenant { try await requireTenantsExist([tenant], field: "tenant", session: session) }
            try await session.update(updated, in: .filters)
            try await audit(session, p, AuditAction.updated("filter"), .filter, id: updated.id, name: updated.name, tenant: updated.tenant,
                            details: Self.auditDetails(updated.spec))
        }
        return FilterView(filter: updated, matches: Self.matches(of: updated.spec, within: .visible(to: p),
                                                                 in: try await store.list(.workloads, tenants: nil)).summary)
    }

    public func deleteFilter(_ p: Principal, _ reference: String) async throws {
        let filter = try await visibleFilter(p, reference)
        try Policy.require(p, .delete, .filter, .object(visible: true), reference: reference)
        try await transaction(publishing: { _ in [.filter(name: filter.name, .deleted)] }) { session in
            try await requireUnused(kind: "filter", name: filter.name, session: session,
                                    grants: { $0.filter == filter.name }, taps: TapQuery(states: [.pending, .active], filter: filter.name))
            try await session.delete(id: filter.id, from: .filters)
            try await audit(session, p, AuditAction.deleted("filter"), .filter, id: filter.id, name: filter.name, tenant: filter.tenant)
        }
    }

    /// The workloads `tap` selects through `filter`: only its tenant's are read (``TenantScope/storeTenants``),
    /// then matched within its scope — the one place a tap's selection is read from the store.
    static func workloads(selectedBy filter: FilterSpec, for tap: Tap, in session: any StoreSession) async throws -> [Workload] {
        let scope = TenantScope.of(tap)
        return matches(of: filter, within: scope, in: try await session.list(.workloads, tenants: scope.storeTenants)).workloads
    }

    /// The workloads a filter picks within a tenant scope (by tenant, selector and ports), and on how many hosts.
    static func matches(of spec: FilterSpec, within scope: TenantScope, in workloads: [Workload]) -> (workloads: [Workload], summary: FilterMatches) {
        let selected = workloads.filter { spec.selects($0.spec, within: scope) }
        return (selected, FilterMatches(workloads: selected.count, hosts: Set(selected.map(\.host)).count))
    }

    static func auditDetails(_ spec: FilterSpec) -> [String: String] {
        var details = ["selector": spec.selector.description, "direction": spec.effectiveDirection.rawValue]
        if let peer = spec.peerSelector { details["peer_selector"] = peer.description }
        if let ports = spec.ports { details["ports"] = ports.joined(separator: ",") }
        if let bpf = spec.bpf { details["bpf"] = bpf }
        return details
    }
}
