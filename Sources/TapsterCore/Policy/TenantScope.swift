/// The tenants whose workloads a selection may reach: the tenant boundary of every selection —
/// filter previews and match counts, taps, captures, the agents' plan and the Neutron API — decided
/// here once, so that a filter can never select another tenant's workload for an owner.
///
/// A workload is reached when it is in the scope *and* in the filter's own tenant, when the filter has
/// one (``FilterSpec/selects(_:within:)``). A peer selector is not a selection: a peer in another tenant
/// may narrow a filter by address, but is never itself captured or listed.
public enum TenantScope: Sendable, Equatable {
    /// Workloads of every tenant and of none: what admins and auditors see, and what a tap an admin
    /// opened outside every tenant selects.
    case all
    /// Only workloads of these tenants; none at all when the set is empty (a workload of no tenant
    /// is never in it).
    case tenants(Set<String>)

    /// Whether a workload of `tenant` is in the scope.
    public func contains(_ tenant: String?) -> Bool {
        switch self {
        case .all: true
        case .tenants(let tenants): tenant.map(tenants.contains) ?? false
        }
    }

    /// What `principal` may see selected: admins and auditors every workload, owners their tenants'.
    public static func visible(to principal: Principal) -> TenantScope {
        principal.role == .owner ? .tenants(principal.tenants) : .all
    }

    /// What a tap selects: the workloads of its tenant. Only an admin can open a tap outside every
    /// tenant (``TapAdmission`` gives every owner's tap one of the owner's tenants); that one selects
    /// in every tenant.
    public static func of(_ tap: Tap) -> TenantScope {
        tap.tenant.map { .tenants([$0]) } ?? .all
    }

    /// The tenants a store query reads (`nil`: every row): only what this scope can select is read,
    /// rather than a whole fleet's workloads filtered afterwards.
    public var storeTenants: Set<String>? {
        switch self {
        case .all: nil
        case .tenants(let tenants): tenants
        }
    }
}
