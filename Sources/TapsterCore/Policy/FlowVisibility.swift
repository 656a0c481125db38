/// What of a flow a principal may see, decided here once: an owner reads the flows of their tenants'
/// workloads (the tapped side's tenant, recorded with the flow), and of the other side only its address
/// unless that workload is theirs too. Admins and auditors see every flow and every workload.
extension Policy {
    /// The tenants whose flows `principal` reads (`nil`: every flow): the store's scope for flow reads.
    public static func flowScope(of principal: Principal) -> Set<String>? {
        tenantScope(of: principal)
    }

    /// The side of a flow that is `workload`, as `principal` may see it: the workload, or nothing (only the
    /// flow's address then shows) when it is not visible to them.
    public static func flowPeer(_ workload: Workload?, visibleTo principal: Principal) -> FlowPeer? {
        guard let workload, isVisible(tenant: workload.tenant, to: principal) else { return nil }
        return FlowPeer(workload)
    }
}
