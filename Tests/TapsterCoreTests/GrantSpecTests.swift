import Testing
import TapsterCore

@Suite("GrantSpec")
struct GrantSpecTests {
    static let fourHours = Fixture.duration("4h")
    static let namesCharacters = "must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit"

    @Test("a grant to one user is valid and comes back unchanged")
    func userGrant() throws {
        let spec = GrantSpec(user: "alice", filter: "web-db", target: "ids", maxDuration: Self.fourHours)
        #expect(try spec.validated() == spec)
    }

    @Test("a grant to a tenant is valid and comes back unchanged")
    func tenantGrant() throws {
        let spec = GrantSpec(tenant: "shop", filter: "web-db", target: "ids", maxDuration: Self.fourHours)
        #expect(try spec.validated() == spec)
    }

    @Test("names exactly one of user and tenant", arguments: [
        GrantSpec(filter: "web-db", target: "ids", maxDuration: GrantSpecTests.fourHours),
        GrantSpec(user: "alice", tenant: "shop", filter: "web-db", target: "ids", maxDuration: GrantSpecTests.fourHours),
    ])
    func exactlyOneSubject(spec: GrantSpec) {
        #expect(throws: TapsterError.invalid("user", "name exactly one of user or tenant")) { try spec.validated() }
    }

    @Test("every name is a resource name, reported under its own field", arguments: [
        (GrantSpec(user: "Alice", filter: "f", target: "t", maxDuration: GrantSpecTests.fourHours), "user", "Alice"),
        (GrantSpec(tenant: "Shop", filter: "f", target: "t", maxDuration: GrantSpecTests.fourHours), "tenant", "Shop"),
        (GrantSpec(user: "alice", filter: "F", target: "t", maxDuration: GrantSpecTests.fourHours), "filter", "F"),
        (GrantSpec(user: "alice", filter: "f", target: "T", maxDuration: GrantSpecTests.fourHours), "target", "T"),
    ])
    func namesValidated(spec: GrantSpec, field: String, name: String) {
        #expect(throws: TapsterError.invalid(field, "\"\(name)\" \(Self.namesCharacters)")) { try spec.validated() }
    }

    @Test("a user grant addresses that user only")
    func userGrantAddresses() {
        let grant = GrantSpec(user: "alice", filter: "f", target: "t", maxDuration: Self.fourHours)
        #expect(grant.addresses(Fixture.owner("alice", tenants: ["shop"])))
        #expect(!grant.addresses(Fixture.owner("bob", tenants: ["shop"])))
    }

    @Test("a tenant grant addresses every member of the tenant")
    func tenantGrantAddresses() {
        let grant = GrantSpec(tenant: "shop", filter: "f", target: "t", maxDuration: Self.fourHours)
        #expect(grant.addresses(Fixture.owner("alice", tenants: ["shop"])))
        #expect(grant.addresses(Fixture.owner("bob", tenants: ["pay", "shop"])))
        #expect(!grant.addresses(Fixture.owner("carol", tenants: ["pay"])))
    }

    @Test("a grant naming neither user nor tenant addresses nobody")
    func subjectlessGrantAddressesNobody() {
        let grant = GrantSpec(filter: "f", target: "t", maxDuration: Self.fourHours)
        #expect(!grant.addresses(Fixture.owner("alice", tenants: ["shop"])))
    }
}
