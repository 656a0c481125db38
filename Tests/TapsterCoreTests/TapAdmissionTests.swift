import Foundation
import Testing
import TapsterCore

@Suite("TapAdmission.admit")
struct TapAdmissionTests {
    static let webDB = filter(tenant: nil)
    static let ids = target(tenant: nil)
    static let alice = Fixture.owner("alice", tenants: ["shop"])

    static func grant(user: String? = nil, tenant: String? = nil, filter: String = "web-db", target: String = "ids",
                      max: String) -> Grant {
        Grant(createdAt: Fixture.t0, spec: GrantSpec(user: user, tenant: tenant, filter: filter, target: target, maxDuration: Fixture.duration(max)))
    }

    static func filter(tenant: String?) -> Filter {
        Filter(id: "f-1", createdAt: Fixture.t0, spec: FilterSpec(name: "web-db", tenant: tenant, selector: Fixture.selector("app=web")))
    }

    static func target(tenant: String?) -> Target {
        Target(id: "t-1", createdAt: Fixture.t0, spec: TargetSpec(name: "ids", tenant: tenant, kind: .stream))
    }

    static func admit(_ principal: Principal = alice, filter: Filter = webDB, target: Target = ids, duration: String = "1h",
                      tenant: String? = nil, grants: [Grant], liveTaps: Int = 0, quota: Int = 8) throws(TapsterError) -> TapAdmission.Admitted {
        try TapAdmission.admit(principal, filter: filter, target: target, duration: Fixture.duration(duration),
                               requestedTenant: tenant, grants: grants, liveTaps: liveTaps, quota: quota)
    }

    static let notGranted = TapsterError(.notGranted, "you have no grant to use filter \"web-db\" with target \"ids\"")

    // MARK: Admins and auditors

    @Test("an admin needs no grant and no quota, and has no maximum duration")
    func adminBypasses() throws {
        let admitted = try Self.admit(Fixture.admin, duration: "366d", grants: [], liveTaps: 1_000, quota: 0)
        #expect(admitted.maxDuration == nil)
        #expect(admitted.tenant == nil)
    }

    @Test("an admin's tap belongs to the requested tenant, else the filter's — never the target's, which says nothing of whose traffic it is",
          arguments: [
        ("pay", "shop", "ops", "pay"), (nil, "shop", "ops", "shop"), (nil, nil, "ops", nil), (nil, nil, nil, nil),
    ] as [(String?, String?, String?, String?)])
    func adminTenant(requested: String?, filterTenant: String?, targetTenant: String?, expected: String?) throws {
        let admitted = try Self.admit(Fixture.admin, filter: Self.filter(tenant: filterTenant), target: Self.target(tenant: targetTenant),
                                      tenant: requested, grants: [])
        #expect(admitted.tenant == expected)
    }

    @Test("an auditor may not open taps")
    func auditorForbidden() {
        #expect(throws: TapsterError(.forbidden, "auditors have read-only access")) {
            try Self.admit(Fixture.auditor, grants: [Self.grant(user: "audrey", max: "1d")])
        }
    }

    // MARK: Grants

    @Test("an owner without a grant is refused with not_granted")
    func noGrant() throws {
        let error = try #require(throws: TapsterError.self) { try Self.admit(grants: []) }
        #expect(error == Self.notGranted)
    }

    @Test("grants for someone else, another tenant, another filter or another target do not count", arguments: [
        TapAdmissionTests.grant(user: "bob", max: "1d"),
        TapAdmissionTests.grant(tenant: "pay", max: "1d"),
        TapAdmissionTests.grant(user: "alice", filter: "other", max: "1d"),
        TapAdmissionTests.grant(user: "alice", target: "other", max: "1d"),
        TapAdmissionTests.grant(tenant: "shop", filter: "other", max: "1d"),
    ])
    func unrelatedGrants(grant: Grant) {
        #expect(throws: Self.notGranted) { try Self.admit(grants: [grant]) }
    }

    @Test("a grant to the owner admits a tap up to its maximum duration")
    func userGrant() throws {
        let admitted = try Self.admit(duration: "4h", grants: [Self.grant(user: "alice", max: "4h")])
        #expect(admitted.maxDuration == Fixture.duration("4h"))
    }

    @Test("a grant to one of the owner's tenants admits the tap")
    func tenantGrant() throws {
        let admitted = try Self.admit(grants: [Self.grant(tenant: "shop", max: "2h")])
        #expect(admitted.maxDuration == Fixture.duration("2h"))
        #expect(admitted.tenant == "shop")
    }

    @Test("a duration longer than the grant is refused with duration_exceeds_grant on field duration")
    func durationExceedsGrant() throws {
        let error = try #require(throws: TapsterError.self) {
            try Self.admit(duration: "2h", grants: [Self.grant(user: "alice", max: "1h")])
        }
        #expect(error == TapsterError(.durationExceedsGrant,
                                      "duration 2h exceeds the 1h your grant allows for filter \"web-db\" with target \"ids\"",
                                      field: "duration"))
    }

    @Test("the longest of several applicable grants applies")
    func longestGrantApplies() throws {
        let grants = [Self.grant(user: "alice", max: "1h"), Self.grant(tenant: "shop", max: "4h"), Self.grant(user: "alice", max: "30m")]
        let admitted = try Self.admit(duration: "3h", grants: grants)
        #expect(admitted.maxDuration == Fixture.duration("4h"))
    }

    @Test("a grant that does not apply does not lengthen the maximum")
    func inapplicableGrantIgnored() {
        let grants = [Self.grant(user: "alice", max: "1h"), Self.grant(user: "bob", max: "1d"), Self.grant(tenant: "pay", max: "1d")]
        #expect(throws: TapsterError(.durationExceedsGrant,
                                     "duration 2h exceeds the 1h your grant allows for filter \"web-db\" with target \"ids\"",
                                     field: "duration")) {
            try Self.admit(duration: "2h", grants: grants)
        }
    }

    // MARK: Quota

    @Test("an owner at quota is refused with quota_exceeded", arguments: [(3, 3), (5, 3), (0, 0)] as [(Int, Int)])
    func atQuota(liveTaps: Int, quota: Int) throws {
        let error = try #require(throws: TapsterError.self) {
            try Self.admit(grants: [Self.grant(user: "alice", max: "1h")], liveTaps: liveTaps, quota: quota)
        }
        #expect(error == TapsterError(.quotaExceeded, "you already have \(liveTaps) active taps, your quota is \(quota); stop one first"))
    }

    @Test("an owner below quota is admitted")
    func belowQuota() throws {
        _ = try Self.admit(grants: [Self.grant(user: "alice", max: "1h")], liveTaps: 2, quota: 3)
    }

    @Test("the grant is checked before the quota")
    func grantBeforeQuota() {
        #expect(throws: Self.notGranted) { try Self.admit(grants: [], liveTaps: 8, quota: 8) }
    }

    @Test("the duration is checked before the quota")
    func durationBeforeQuota() throws {
        let error = try #require(throws: TapsterError.self) {
            try Self.admit(duration: "2h", grants: [Self.grant(user: "alice", max: "1h")], liveTaps: 8, quota: 8)
        }
        #expect(error.code == .durationExceedsGrant)
    }

    // MARK: Tenants

    @Test("a requested tenant the owner is not in is not found, before grants are looked at")
    func requestedTenantNotTheirs() {
        #expect(throws: TapsterError(.notFound, "tenant \"pay\" not found")) {
            try Self.admit(tenant: "pay", grants: [Self.grant(user: "alice", max: "1d"), Self.grant(tenant: "pay", max: "1d")])
        }
        #expect(throws: TapsterError(.notFound, "tenant \"pay\" not found")) { try Self.admit(tenant: "pay", grants: []) }
    }

    @Test("a requested tenant counts only its own tenant grants, and every user grant")
    func requestedTenantLimitsTenantGrants() throws {
        let bob = Fixture.owner("bob", tenants: ["pay", "shop"])
        let grants = [Self.grant(tenant: "pay", max: "4h"), Self.grant(tenant: "shop", max: "1h")]
        #expect(try Self.admit(bob, duration: "2h", tenant: "pay", grants: grants).tenant == "pay")
        #expect(throws: TapsterError(.durationExceedsGrant,
                                     "duration 2h exceeds the 1h your grant allows for filter \"web-db\" with target \"ids\"",
                                     field: "duration")) {
            try Self.admit(bob, duration: "2h", tenant: "shop", grants: grants)
        }
        let withUserGrant = grants + [Self.grant(user: "bob", max: "3h")]
        let admitted = try Self.admit(bob, duration: "2h", tenant: "shop", grants: withUserGrant)
        #expect(admitted.tenant == "shop")
        #expect(admitted.maxDuration == Fixture.duration("3h"))
    }

    @Test("the requested tenant is the tap's tenant")
    func requestedTenantWins() throws {
        let bob = Fixture.owner("bob", tenants: ["pay", "shop"])
        let admitted = try Self.admit(bob, filter: Self.filter(tenant: "shop"), tenant: "pay", grants: [Self.grant(user: "bob", max: "1h")])
        #expect(admitted.tenant == "pay")
    }

    @Test("without a request, the tap belongs to the filter's tenant when the owner is in it: only its workloads can be selected")
    func tenantFromFilter() throws {
        let carol = Fixture.owner("carol", tenants: ["ops", "pay", "shop"])
        let grants = [Self.grant(tenant: "shop", max: "1h"), Self.grant(tenant: "pay", max: "1h")]
        #expect(try Self.admit(carol, filter: Self.filter(tenant: "ops"), grants: grants).tenant == "ops")
    }

    @Test("without a request or a filter tenant, the tap belongs to the tenant of a covering tenant grant, the first by name")
    func tenantFromGrant() throws {
        let carol = Fixture.owner("carol", tenants: ["ops", "pay", "shop"])
        let grants = [Self.grant(tenant: "shop", max: "1h"), Self.grant(tenant: "pay", max: "1h")]
        #expect(try Self.admit(carol, grants: grants).tenant == "pay")
    }

    @Test("an owner in no tenant cannot tap: every owner's tap selects in one of the owner's tenants")
    func ownerOfNoTenant() {
        let loner = Fixture.owner("loner", tenants: [])
        #expect(throws: TapsterError(.notGranted, "you belong to no tenant; an admin must add you to one before you can tap")) {
            try Self.admit(loner, grants: [Self.grant(user: "loner", max: "1h")])
        }
    }

    @Test("without a request, the tap belongs to the tenant whose grant covers the duration, not a shorter grant's")
    func tenantFromCoveringGrant() throws {
        let bob = Fixture.owner("bob", tenants: ["pay", "shop"])
        let grants = [Self.grant(tenant: "pay", max: "1h"), Self.grant(tenant: "shop", max: "4h")]
        let admitted = try Self.admit(bob, duration: "2h", grants: grants)
        #expect(admitted.tenant == "shop")
        #expect(admitted.maxDuration == Fixture.duration("4h"))
    }

    @Test("with only user grants, the tap belongs to the filter's tenant, else the target's, when the owner is in it", arguments: [
        ("shop", "pay", "shop"), ("ops", "pay", "pay"), (nil, "pay", "pay"), ("ops", nil, "pay"), (nil, nil, "pay"),
    ] as [(String?, String?, String)])
    func tenantFromFilterOrTarget(filterTenant: String?, targetTenant: String?, expected: String) throws {
        let bob = Fixture.owner("bob", tenants: ["pay", "shop"])
        let admitted = try Self.admit(bob, filter: Self.filter(tenant: filterTenant), target: Self.target(tenant: targetTenant),
                                      grants: [Self.grant(user: "bob", max: "1h")])
        #expect(admitted.tenant == expected)
    }

    @Test("a user grant covering the duration wins over a shorter tenant grant, leaving the owner's first tenant")
    func userGrantCoveringOverShorterTenantGrant() throws {
        let bob = Fixture.owner("bob", tenants: ["pay", "shop"])
        let grants = [Self.grant(tenant: "shop", max: "1h"), Self.grant(user: "bob", max: "4h")]
        let admitted = try Self.admit(bob, duration: "2h", grants: grants)
        #expect(admitted.tenant == "pay")
    }
    // MARK: Grants of other tenants

    static let bob = Fixture.owner("bob", tenants: ["payments", "sandbox"])

    static func tenantGrant(_ tenant: String, max: String = "1h", approval: ApprovalRequirement) -> Grant {
        Grant(createdAt: Fixture.t0, spec: GrantSpec(tenant: tenant, filter: "web-db", target: "ids", maxDuration: Fixture.duration(max),
                                                     approval: approval))
    }

    @Test("another tenant's grant of the same pair does not waive the approval the tap's own tenant's grant requires")
    func anotherTenantsGrantWaivesNoApproval() throws {
        let admitted = try Self.admit(Self.bob, grants: [Self.tenantGrant("payments", approval: .required), Self.tenantGrant("sandbox", approval: .none)])
        #expect(admitted.tenant == "payments")
        #expect(admitted.approval == .required)
    }

    @Test("a tap asked for in the tenant whose grant needs no approval starts without one, in that tenant")
    func theTenantWhoseGrantNeedsNoApproval() throws {
        let admitted = try Self.admit(Self.bob, tenant: "sandbox",
                                      grants: [Self.tenantGrant("payments", approval: .required), Self.tenantGrant("sandbox", approval: .none)])
        #expect(admitted.tenant == "sandbox")
        #expect(admitted.approval == .none)
    }

    @Test("another tenant's longer grant does not lengthen a tap in the filter's tenant")
    func anotherTenantsGrantLengthensNothing() {
        #expect(throws: TapsterError(.durationExceedsGrant, "duration 12h exceeds the 1h your grant allows for filter \"web-db\" with target \"ids\"",
                                     field: "duration")) {
            try Self.admit(Self.bob, filter: Self.filter(tenant: "payments"), duration: "12h",
                           grants: [Self.tenantGrant("payments", max: "1h", approval: .none), Self.tenantGrant("sandbox", max: "1d", approval: .none)])
        }
    }

    // MARK: Since when

    static func grant(user: String, max: String, changedAt: Date) -> Grant {
        Grant(createdAt: Fixture.t0, updatedAt: changedAt,
              spec: GrantSpec(user: user, filter: "web-db", target: "ids", maxDuration: Fixture.duration(max)))
    }

    @Test("an owner is entitled since the earliest last change among the grants that admit the tap")
    func entitledSinceTheOldestAdmittingGrant() throws {
        let admitted = try Self.admit(duration: "1h", grants: [
            Self.grant(user: "alice", max: "1h", changedAt: Fixture.t0.addingTimeInterval(60)),
            Self.grant(user: "alice", max: "1d", changedAt: Fixture.t0.addingTimeInterval(30)),
            // Too short for the tap: it admits nothing, so it entitles nothing.
            Self.grant(user: "alice", max: "10m", changedAt: Fixture.t0.addingTimeInterval(10)),
        ])
        #expect(admitted.entitledSince == Fixture.t0.addingTimeInterval(30))
    }

    @Test("an owner is entitled no earlier than the filter's last change: a widened filter entitles from then on")
    func entitledNoEarlierThanTheFiltersChange() throws {
        var filter = Self.webDB
        filter.updatedAt = Fixture.t0.addingTimeInterval(90)
        let admitted = try Self.admit(filter: filter, grants: [Self.grant(user: "alice", max: "1h", changedAt: Fixture.t0.addingTimeInterval(30))])
        #expect(admitted.entitledSince == Fixture.t0.addingTimeInterval(90))
    }

    @Test("an owner is entitled no earlier than they joined the tap's tenant: its workloads' earlier packets are not theirs")
    func entitledNoEarlierThanTheMembership() throws {
        var alice = Self.alice
        alice.memberSince["shop"] = Fixture.t0.addingTimeInterval(120)
        let admitted = try Self.admit(alice, grants: [Self.grant(user: "alice", max: "1h", changedAt: Fixture.t0.addingTimeInterval(30))])
        #expect(admitted.tenant == "shop")
        #expect(admitted.entitledSince == Fixture.t0.addingTimeInterval(120))
    }

    @Test("a membership without a date entitles to no look-back at all")
    func aMembershipWithoutADateEntitlesToNoLookBack() throws {
        let undated = Principal(userID: "id-alice", name: "alice", role: .owner, tenants: ["shop"])
        let admitted = try Self.admit(undated, grants: [Self.grant(user: "alice", max: "1h", changedAt: Fixture.t0)])
        #expect(admitted.entitledSince == .distantFuture)
    }

    @Test("an admin's tap is not bounded in time: admins may see every packet")
    func anAdminIsEntitledWithoutBound() throws {
        #expect(try Self.admit(Fixture.admin, grants: []).entitledSince == nil)
    }
}
