import Testing
import TapsterCore

/// The tenant boundary of every selection (``TenantScope``, ``FilterSpec/selects(_:within:)``): a filter
/// never reaches another tenant's workload, whatever its selector says.
@Suite struct TenantScopeTests {
    static func workload(tenant: String?, labels: [String: String]) -> WorkloadSpec {
        WorkloadSpec(name: "w", kind: .netns, host: "node-1", tenant: tenant, labels: labels)
    }

    /// A `blog` workload labelled `app=web` and nothing else: every selector below matches its labels.
    static let blogWeb = workload(tenant: "blog", labels: ["app": "web"])
    static let shopWeb = workload(tenant: "shop", labels: ["app": "web"])
    static let selectors = ["app=web", "!tier", "tier notin (db)", "tier!=db", "app", "app in (web,api)"]

    @Test(arguments: selectors)
    func aTenantsFilterNeverSelectsAnotherTenantsWorkload(selector: String) {
        let filter = FilterSpec(name: "shop-web", tenant: "shop", selector: Fixture.selector(selector))
        #expect(filter.selects(Self.shopWeb, within: .all))
        #expect(!filter.selects(Self.blogWeb, within: .all))
        #expect(!filter.selects(Self.blogWeb, within: .tenants(["shop", "blog"])))
    }

    @Test(arguments: selectors)
    func aFilterOfNoTenantSelectsOnlyInsideTheScope(selector: String) {
        let filter = FilterSpec(name: "web", selector: Fixture.selector(selector))
        #expect(filter.selects(Self.shopWeb, within: .tenants(["shop"])))
        #expect(!filter.selects(Self.blogWeb, within: .tenants(["shop"])))
        #expect(filter.selects(Self.blogWeb, within: .all))
    }

    @Test func aWorkloadOfNoTenantIsInNoTenantsScope() {
        let filter = FilterSpec(name: "web", selector: Fixture.selector("app=web"))
        let unassigned = Self.workload(tenant: nil, labels: ["app": "web"])
        #expect(!filter.selects(unassigned, within: .tenants(["shop"])))
        #expect(!filter.selects(unassigned, within: .tenants([])))
        #expect(filter.selects(unassigned, within: .all))
        #expect(!FilterSpec(name: "shop-web", tenant: "shop", selector: Fixture.selector("app=web")).selects(unassigned, within: .all))
    }

    @Test func ownersSeeTheirTenantsAndAdminsAndAuditorsEveryTenant() {
        #expect(TenantScope.visible(to: Fixture.owner(tenants: ["shop"])) == .tenants(["shop"]))
        #expect(TenantScope.visible(to: Fixture.admin) == .all)
        #expect(TenantScope.visible(to: Fixture.auditor) == .all)
    }

    @Test func aTapSelectsInItsTenantAndATapOfNoTenantEverywhere() {
        let tap = Tap(tenant: "shop", owner: "alice", filter: "f", target: "t", duration: Fixture.duration("1m"), createdAt: Fixture.t0)
        #expect(TenantScope.of(tap) == .tenants(["shop"]))
        var adminTap = tap
        adminTap.tenant = nil
        #expect(TenantScope.of(adminTap) == .all)
    }
}
