import Foundation

/// Whose a workload is, and the labels the server alone sets on it — decided here once, for what agents
/// report, what admins register, and again for every stored pod when the namespace mappings change.
///
/// - A **pod**'s tenant comes only from the admins' namespace mappings: the tenant of the most specific
///   mapping whose pattern matches its Kubernetes namespace (``NamespacePattern/isMoreSpecific(than:)``), or
///   none. Its own labels never choose it — not even a `tenant` label: whoever can label a pod must not pick
///   whose traffic it becomes.
/// - Every **other** workload keeps its `tenant` label's tenant, when a tenant of that name exists.
/// - The label `k8s.namespace` is the server's: set on every pod to its namespace (replacing one the pod set),
///   removed from every other workload, so that `-l k8s.namespace=shop` selects exactly the pods of `shop`.
public struct WorkloadTenancy: Sendable {
    /// The label whose value names a (non-pod) workload's tenant.
    public static let tenantLabel = "tenant"
    /// The label the server sets to a pod's Kubernetes namespace.
    public static let namespaceLabel = "k8s.namespace"

    /// The names of the tenants that exist.
    public let tenants: Set<String>
    /// The mappings, most specific first.
    private let mappings: [(pattern: NamespacePattern, tenant: String)]

    public init(tenants: Set<String>, mappings: [NamespaceMappingSpec]) {
        self.tenants = tenants
        self.mappings = mappings.compactMap { spec in (try? NamespacePattern(spec.pattern)).map { ($0, spec.tenant) } }
            .sorted { $0.pattern.isMoreSpecific(than: $1.pattern) }
    }

    /// The tenant the pods of `namespace` belong to: the most specific matching mapping's, if that tenant exists.
    public func tenant(ofNamespace namespace: String) -> String? {
        mappings.first { $0.pattern.matches(namespace) }.flatMap { tenants.contains($0.tenant) ? $0.tenant : nil }
    }

    /// The pattern of the mapping that decides `namespace`, if any.
    public func pattern(deciding namespace: String) -> String? {
        mappings.first { $0.pattern.matches(namespace) }?.pattern.text
    }

    /// A workload an admin registers by hand: a pod's tenant comes from the mappings as a reported pod's
    /// does (`invalid_argument` when the request names one); any other keeps the tenant the admin gave.
    public func registered(_ spec: WorkloadSpec) throws(TapsterError) -> WorkloadSpec {
        if spec.kind == .pod {
            guard spec.tenant == nil else {
                throw TapsterError.invalid("tenant", "a pod's tenant comes from the namespace mappings of its Kubernetes namespace (tapster namespace-mapping), not from the request")
            }
            return applied(to: spec)
        }
        var spec = spec
        spec.labels[Self.namespaceLabel] = nil
        return spec
    }

    /// A workload an agent reports: `spec` with its tenant and the server's labels as these rules decide them.
    public func applied(to spec: WorkloadSpec) -> WorkloadSpec {
        var spec = spec
        spec.labels[Self.namespaceLabel] = nil
        if spec.kind == .pod {
            let namespace = spec.kubernetesNamespace
            spec.labels[Self.namespaceLabel] = namespace
            spec.tenant = namespace.flatMap(tenant(ofNamespace:))
        } else {
            spec.tenant = spec.labels[Self.tenantLabel].flatMap { tenants.contains($0) ? $0 : nil }
        }
        return spec
    }

    /// The pods of `workloads` whose tenant these rules decide otherwise now, with the tenant they get from `now` on.
    public func podsToMove(_ workloads: [Workload], at now: Date) -> [Workload] {
        workloads.compactMap { workload in
            guard workload.kind == .pod else { return nil }
            let tenant = workload.kubernetesNamespace.flatMap(tenant(ofNamespace:))
            guard tenant != workload.tenant else { return nil }
            var moved = workload
            moved.spec.tenant = tenant
            moved.spec = moved.spec.dated(after: workload, at: now)
            moved.updatedAt = now
            return moved
        }
    }
}
