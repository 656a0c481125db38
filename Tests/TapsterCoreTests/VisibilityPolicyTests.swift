import Testing
import TapsterCore

/// The tenant boundary of reads (``Policy/tenantScope(of:)``, ``Policy/isVisible(tenant:to:)``,
/// ``Policy/isVisible(tenant:name:kind:to:grants:)``, ``Policy/ownedScope(of:)``): each test tries to cross
/// one boundary as an owner of `shop` and is refused, while admins and auditors see everything.
@Suite struct VisibilityPolicyTests {
    static let alice = Fixture.owner("alice", tenants: ["shop"])
    static let bob = Fixture.owner("bob", tenants: ["bank"])
    static let aliceUser = User(id: "id-alice", spec: UserSpec(name: "alice", role: .owner, tenants: ["shop"]), createdAt: Fixture.t0)
    static let bobUser = User(id: "id-bob", spec: UserSpec(name: "bob", role: .owner, tenants: ["bank"]), createdAt: Fixture.t0)
    /// Grants `web-db` with target `ids` to alice by name, and `dns` with `recorder` to tenant `bank`.
    static let grants = [
        Grant(createdAt: Fixture.t0, spec: GrantSpec(user: "alice", filter: "web-db", target: "ids", maxDuration: Fixture.duration("1h"))),
        Grant(createdAt: Fixture.t0, spec: GrantSpec(tenant: "bank", filter: "dns", target: "recorder", maxDuration: Fixture.duration("1h"))),
    ]

    @Test func anOwnersReadsAreNarrowedToTheirTenantsAndOthersSeeEverything() {
        #expect(Policy.tenantScope(of: Self.alice) == ["shop"])
        #expect(Policy.tenantScope(of: Fixture.admin) == nil)
        #expect(Policy.tenantScope(of: Fixture.auditor) == nil)
    }

    @Test func anOwnerDoesNotSeeAnotherTenantsObjectNorOneOfNoTenant() {
        #expect(Policy.isVisible(tenant: "shop", to: Self.alice))
        #expect(!Policy.isVisible(tenant: "bank", to: Self.alice))
        #expect(!Policy.isVisible(tenant: nil, to: Self.alice))
        #expect(Policy.isVisible(tenant: "bank", to: Fixture.auditor))
        #expect(Policy.isVisible(tenant: nil, to: Fixture.admin))
    }

    @Test func anOwnerSeesOnlyThemselvesAmongUsers() {
        #expect(Policy.isVisible(user: Self.aliceUser, to: Self.alice))
        #expect(!Policy.isVisible(user: Self.bobUser, to: Self.alice))
        #expect(Policy.isVisible(user: Self.bobUser, to: Fixture.auditor))
    }

    @Test func anOwnerSeesOnlyTheGrantsAddressedToThemOrTheirTenants() {
        #expect(Policy.grants(Self.grants, addressedTo: Self.alice).map(\.filter) == ["web-db"])
        #expect(Policy.grants(Self.grants, addressedTo: Self.bob).map(\.filter) == ["dns"])
        #expect(!Policy.isVisible(grant: Self.grants[1], to: Self.alice))
        #expect(Policy.isVisible(grant: Self.grants[1], to: Fixture.admin))
    }

    @Test func anOwnerSeesAnotherTenantsTargetOrFilterOnlyWhenAGrantToThemNamesIt() {
        let granted = Policy.grants(Self.grants, addressedTo: Self.alice)
        #expect(Policy.isVisible(tenant: "net", name: "ids", kind: .target, to: Self.alice, grants: granted))
        #expect(Policy.isVisible(tenant: "net", name: "web-db", kind: .filter, to: Self.alice, grants: granted))
        #expect(!Policy.isVisible(tenant: "net", name: "recorder", kind: .target, to: Self.alice, grants: granted))
        // A grant names a filter and a target; the filter's name does not make a target of that name visible.
        #expect(!Policy.isVisible(tenant: "net", name: "web-db", kind: .target, to: Self.alice, grants: granted))
        #expect(Policy.isVisible(tenant: "shop", name: "anything", kind: .filter, to: Self.alice, grants: []))
        #expect(Policy.isVisible(tenant: "net", name: "recorder", kind: .target, to: Fixture.auditor, grants: []))
    }

    @Test func anOwnerListsTheOwnedObjectsOfTheirTenantsAndTheirOwnOnly() {
        #expect(Policy.ownedScope(of: Self.alice) == OwnedScope(tenants: ["shop"], ownerID: "id-alice"))
        #expect(Policy.ownedScope(of: Fixture.admin) == OwnedScope(tenants: nil, ownerID: nil))
        #expect(Policy.ownedScope(of: Fixture.auditor) == OwnedScope(tenants: nil, ownerID: nil))
    }
}
