import Foundation

/// Decides whether an owner may open a tap with a filter and target for a duration.
///
/// Pure: the caller gathers the grants, the owner's live tap count and quota.
public enum TapAdmission {
    /// The outcome of a successful admission: the tenant the tap belongs to.
    public struct Admitted: Sendable, Equatable {
        public var tenant: String?
        /// The longest duration the grants allow (nil for admins).
        public var maxDuration: TapDuration?
        /// Whether the tap waits for an admin's approval: only when every grant that admits it in its tenant for this
        /// duration requires approval (an admin's own tap never does: admins set the approval policy themselves).
        public var approval: ApprovalRequirement = .none
        /// Since when the owner may see what the tap takes: the latest of the filter's last change, the earliest
        /// last change among the grants that admit the tap, and the owner's joining of the tap's tenant (nil for
        /// admins, entitled to every packet). A capture's look-back never reaches before it
        /// (``CaptureNarrowing/lookBackStart(startedAt:)``): a recorder's ring holds packets from before a grant was
        /// made, a filter widened or the owner joined the tenant, that nothing entitled them to.
        public var entitledSince: Date?
    }

    /// - Parameters:
    ///   - grants: every grant of this filter/target pair (the function picks those addressed to `principal`).
    ///   - liveTaps: how many pending or active taps `principal` owns now.
    ///   - quota: the owner's limit of live taps.
    ///   - fullPayloadNeedsApproval: the server's ``ApprovalPolicy`` setting, the default for grants that say nothing.
    public static func admit(_ principal: Principal, filter: Filter, target: Target, duration: TapDuration,
                             requestedTenant: String?, grants: [Grant], liveTaps: Int, quota: Int,
                             fullPayloadNeedsApproval: Bool = false) throws(TapsterError) -> Admitted {
        switch principal.role {
        case .auditor:
            throw TapsterError(.forbidden, "auditors have read-only access")
        case .admin:
            // A tap's tenant is whose workloads it selects (``TenantScope/of(_:)``), so it comes from the
            // filter, not from the target: an admin's tap of a filter of no tenant selects in every tenant.
            return Admitted(tenant: requestedTenant ?? filter.tenant, maxDuration: nil)
        case .owner:
            break
        }
        if let requestedTenant, !principal.tenants.contains(requestedTenant) {
            throw TapsterError.notFound("tenant", requestedTenant)
        }
        let applicable = grants.filter { grant in
            grant.filter == filter.name && grant.target == target.name && grant.spec.addresses(principal)
                && (requestedTenant == nil || grant.user != nil || grant.tenant == requestedTenant)
        }
        guard let longestOfAll = applicable.map(\.maxDuration).max() else {
            throw TapsterError(.notGranted, "you have no grant to use filter \"\(filter.name)\" with target \"\(target.name)\"")
        }
        try requireWithin(longestOfAll, duration, filter: filter, target: target)
        guard liveTaps < quota else {
            throw TapsterError(.quotaExceeded, "you already have \(liveTaps) active taps, your quota is \(quota); stop one first")
        }
        // The tenant of a grant that covers this duration, not of a shorter one. A filter's own tenant wins:
        // it is the only tenant whose workloads the filter can select.
        let candidate = requestedTenant
            ?? filter.tenant.flatMap { principal.tenants.contains($0) ? $0 : nil }
            ?? applicable.filter { duration <= $0.maxDuration }.compactMap(\.tenant).sorted().first
            ?? [filter.tenant, target.tenant].compactMap { $0 }.first(where: principal.tenants.contains)
            ?? principal.tenants.sorted().first
        // Every owner's tap is in one of the owner's tenants: it selects only that tenant's workloads.
        guard let tenant = candidate, principal.tenants.contains(tenant) else {
            throw TapsterError(.notGranted, "you belong to no tenant; an admin must add you to one before you can tap")
        }
        // Only the grants that admit a tap in *this* tenant decide its duration and its approval — the owner's own
        // grants and their tenant's. Another tenant's grant of the same pair must neither lengthen the tap nor waive
        // the approval this tenant's grant requires. (Were none of them this tenant's, every grant counts, and any
        // that requires approval requires it: the safe side.)
        let tenants = applicable.filter { $0.user != nil || $0.tenant == tenant }
        let deciding = tenants.isEmpty ? applicable : tenants
        let longest = deciding.map(\.maxDuration).max() ?? longestOfAll
        try requireWithin(longest, duration, filter: filter, target: target)
        let requires = { (grant: Grant) in
            ApprovalPolicy.requirement(of: grant.spec, target: target, fullPayloadNeedsApproval: fullPayloadNeedsApproval) == .required
        }
        let covering = deciding.filter { duration <= $0.maxDuration }
        let needsApproval = tenants.isEmpty ? covering.contains(where: requires) : covering.allSatisfy(requires)
        let grantedSince = covering.map(\.updatedAt).min() ?? filter.updatedAt
        // A membership without a date counts as begun now: no look-back at all, rather than one of unknown reach.
        let joined = principal.memberSince[tenant] ?? .distantFuture
        return Admitted(tenant: tenant, maxDuration: longest, approval: needsApproval ? .required : .none,
                        entitledSince: max(grantedSince, filter.updatedAt, joined))
    }

    private static func requireWithin(_ longest: TapDuration, _ duration: TapDuration, filter: Filter, target: Target) throws(TapsterError) {
        guard duration <= longest else {
            throw TapsterError(.durationExceedsGrant, "duration \(duration) exceeds the \(longest) your grant allows for filter \"\(filter.name)\" with target \"\(target.name)\"", field: "duration")
        }
    }
}
