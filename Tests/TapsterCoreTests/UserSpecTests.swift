import Foundation
import Testing
import TapsterAPI
import TapsterCore

@Suite("UserSpec")
struct UserSpecTests {
    @Test("an owner belongs to at least one tenant")
    func ownerNeedsTenant() {
        #expect(throws: TapsterError.invalid("tenants", "an owner belongs to at least one tenant")) {
            try UserSpec(name: "alice", role: .owner).validated()
        }
    }

    @Test("admins and auditors belong to no tenant", arguments: [
        (Role.admin, "only owners belong to tenants; admins see every tenant"),
        (Role.auditor, "only owners belong to tenants; auditors see every tenant"),
    ])
    func nonOwnersHaveNoTenants(role: Role, message: String) {
        #expect(throws: TapsterError.invalid("tenants", message)) {
            try UserSpec(name: "root", role: role, tenants: ["shop"]).validated()
        }
    }

    @Test("admins and auditors without tenants are valid", arguments: [Role.admin, .auditor])
    func nonOwnersValid(role: Role) throws {
        let spec = UserSpec(name: "root", role: role)
        #expect(try spec.validated() == spec)
    }

    @Test("quota is 0–1000", arguments: [0, 1, 1000])
    func quotaInRange(quota: Int) throws {
        #expect(try UserSpec(name: "alice", role: .owner, tenants: ["shop"], quota: quota).validated().quota == quota)
    }

    @Test("quota outside 0–1000 is rejected", arguments: [-1, 1001])
    func quotaOutOfRange(quota: Int) {
        #expect(throws: TapsterError.invalid("quota", "\(quota) is outside 0–1000")) {
            try UserSpec(name: "alice", role: .owner, tenants: ["shop"], quota: quota).validated()
        }
    }

    @Test("the quota in force defaults to 8")
    func defaultQuota() {
        #expect(UserSpec.defaultQuota == 8)
        #expect(UserSpec(name: "alice", role: .owner, tenants: ["shop"]).effectiveQuota == 8)
        #expect(UserSpec(name: "alice", role: .owner, tenants: ["shop"], quota: 0).effectiveQuota == 0)
    }

    @Test("tenants come back de-duplicated and sorted")
    func tenantsNormalised() throws {
        let spec = try UserSpec(name: "alice", role: .owner, tenants: ["shop", "pay", "shop"]).validated()
        #expect(spec.tenants == ["pay", "shop"])
    }

    @Test("names and tenant names are resource names")
    func namesValidated() {
        let chars = "must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        #expect(throws: TapsterError.invalid("name", "\"Alice\" \(chars)")) {
            try UserSpec(name: "Alice", role: .owner, tenants: ["shop"]).validated()
        }
        #expect(throws: TapsterError.invalid("tenants", "\"Shop\" \(chars)")) {
            try UserSpec(name: "alice", role: .owner, tenants: ["Shop"]).validated()
        }
    }

    @Test("a user acts as a principal with its id, name, role, tenants and since when it belongs to them")
    func principal() {
        let user = User(id: "u-1", spec: UserSpec(name: "alice", role: .owner, tenants: ["pay", "shop"]), createdAt: Fixture.t0)
        #expect(user.principal == Principal(userID: "u-1", name: "alice", role: .owner, tenants: ["pay", "shop"],
                                            memberSince: ["pay": Fixture.t0, "shop": Fixture.t0]))
        #expect(user.name == "alice")
        #expect(user.role == .owner)
        #expect(user.updatedAt == Fixture.t0)
        #expect(!user.mustChangePassword)
    }

    @Test("a principal belongs to its tenants only, and never to no tenant")
    func principalBelongs() {
        let alice = Fixture.owner(tenants: ["shop"])
        #expect(alice.belongs(to: "shop"))
        #expect(!alice.belongs(to: "pay"))
        #expect(!alice.belongs(to: nil))
    }

    @Test("the system principal is an admin")
    func systemPrincipal() {
        #expect(Principal.system.isAdmin)
        #expect(Principal.system.name == "system")
    }

    @Test("a create request without tenants makes a spec with none")
    func createRequestSpec() {
        #expect(UserCreateRequest(name: "root", role: .admin).spec == UserSpec(name: "root", role: .admin, tenants: [], quota: nil))
        #expect(UserCreateRequest(name: "alice", role: .owner, tenants: ["shop"], quota: 3, password: "pw").spec
            == UserSpec(name: "alice", role: .owner, tenants: ["shop"], quota: 3))
    }
}
