/// The tenant boundary of reads, decided here once: which objects an owner may know exist. Admins and
/// auditors see everything; an owner sees what belongs to their tenants, what is theirs, and the targets
/// and filters a grant addressed to them names. Every service asks these, and the store's listings get
/// their SQL scope from ``Policy/ownedScope(of:)``.
extension Policy {
    /// The tenants an owner's reads are narrowed to; `nil` for admins and auditors (everything).
    public static func tenantScope(of principal: Principal) -> Set<String>? {
        principal.role == .owner ? principal.tenants : nil
    }

    /// Whether `principal` may know of an object that belongs to `tenant` (a tenant itself, a workload):
    /// an owner only of their own tenants'; an object of no tenant is no owner's.
    public static func isVisible(tenant: String?, to principal: Principal) -> Bool {
        principal.role != .owner || principal.belongs(to: tenant)
    }

    /// Whether `principal` may know of a user: itself, or anyone for admins and auditors.
    public static func isVisible(user: User, to principal: Principal) -> Bool {
        principal.role != .owner || user.id == principal.userID
    }

    /// Whether `principal` may know of a grant: one addressed to it, or any for admins and auditors.
    public static func isVisible(grant: Grant, to principal: Principal) -> Bool {
        principal.role != .owner || grant.spec.addresses(principal)
    }

    /// Whether an owner may know of a target or filter: its tenant is theirs, or one of `grants` (those
    /// addressed to them, ``grants(_:addressedTo:)``) names it.
    public static func isVisible(tenant: String?, name: String, kind: ResourceKind, to principal: Principal, grants: [Grant]) -> Bool {
        guard principal.role == .owner else { return true }
        if principal.belongs(to: tenant) { return true }
        return grants.contains { kind == .target ? $0.target == name : $0.filter == name }
    }

    /// The grants of `grants` addressed to `principal` (directly or through its tenants).
    public static func grants(_ grants: [Grant], addressedTo principal: Principal) -> [Grant] {
        grants.filter { $0.spec.addresses(principal) }
    }

    /// Which owned objects (taps, captures) `principal` lists: everything for admins and auditors; for an
    /// owner those of their tenants and their own (the SQL form of ``isVisible(_:to:)``).
    public static func ownedScope(of principal: Principal) -> OwnedScope {
        guard let tenants = tenantScope(of: principal) else { return OwnedScope(tenants: nil, ownerID: nil) }
        return OwnedScope(tenants: tenants, ownerID: principal.userID)
    }
}

/// The owned objects a listing may return, as ``Policy/ownedScope(of:)`` decides: those of `tenants`
/// (`nil`: every one) and, whatever their tenant, those of `ownerID`.
public struct OwnedScope: Sendable, Equatable {
    public var tenants: Set<String>?
    public var ownerID: String?

    public init(tenants: Set<String>?, ownerID: String?) {
        self.tenants = tenants
        self.ownerID = ownerID
    }
}
