import TapsterCore
import TapsterStore

extension CatalogService {
    /// Workloads visible to the principal (owners: their tenants'), narrowed by selector, host and the
    /// Kubernetes namespace of pods (`namespace`: only pods of that namespace).
    public func listWorkloads(_ p: Principal, selector: LabelSelector? = nil, host: String? = nil,
                              namespace: String? = nil) async throws -> [Workload] {
        try Policy.require(p, .read, .workload, .collection)
        return try await store.list(.workloads, tenants: Policy.tenantScope(of: p)).filter {
            (selector?.matches($0.labels) ?? true) && (host == nil || $0.host == host)
                && (namespace == nil || $0.kubernetesNamespace == namespace)
        }
    }

    public func workload(_ p: Principal, _ id: String) async throws -> Workload {
        let workload = try await store.find(id, in: .workloads)
        let visible = workload.map { Policy.isVisible(tenant: $0.tenant, to: p) } ?? false
        try Policy.require(p, .read, .workload, .object(visible: visible), reference: id)
        guard let workload else { throw TapsterError.notFound("workload", id) }
        return workload
    }

    /// Registers a workload by hand (agents report theirs; this is for admins and tests). A pod's tenant comes
    /// from the namespace mappings, as a reported pod's does (``WorkloadTenancy/registered(_:)``).
    public func registerWorkload(_ p: Principal, _ spec: WorkloadSpec) async throws -> Workload {
        try Policy.require(p, .create, .workload, .collection)
        let requested = try spec.validated()
        guard requested.reportedBy == nil else {
            throw TapsterError.invalid("reported_by", "is set by the agent that reports a workload, not by hand")
        }
        return try await transaction(publishing: { [.workload(id: $0.id, host: $0.host, .created)] }) { session in
            let spec = try await WorkloadTenancy.load(from: session).registered(requested)
            if let tenant = spec.tenant, spec.kind != .pod { try await requireTenantsExist([tenant], field: "tenant", session: session) }
            for interface in spec.interfaces {
                if let other = try await workload(owningPort: interface.id, session: session) {
                    throw TapsterError(.alreadyExists, "interface id \(interface.id) already belongs to workload \(other.host)/\(other.name)")
                }
            }
            let created = now
            let workload = Workload(createdAt: created, spec: spec.dated(after: nil, at: created))
            try await session.insert(workload, into: .workloads)
            try await audit(session, p, AuditAction.created("workload"), .workload, id: workload.id, name: "\(spec.host)/\(spec.name)",
                            tenant: spec.tenant, details: ["labels": LabelSelector(matching: spec.labels).description])
            return workload
        }
    }

    public func deleteWorkload(_ p: Principal, _ id: String) async throws {
        let workload = try await workload(p, id)
        try Policy.require(p, .delete, .workload, .object(visible: true), reference: id)
        try await transaction(publishing: { _ in [.workload(id: workload.id, host: workload.host, .deleted)] }) { session in
            try await session.delete(id: workload.id, from: .workloads)
            try await audit(session, p, AuditAction.deleted("workload"), .workload, id: workload.id, name: "\(workload.host)/\(workload.name)",
                            tenant: workload.tenant)
        }
    }

    /// The workload one of whose interfaces has this id (a Neutron port id).
    func workload(owningPort portID: String, session: any StoreSession) async throws -> Workload? {
        try await session.list(.workloads, tenants: nil).first { $0.interfaces.contains { $0.id == portID } }
    }
}
