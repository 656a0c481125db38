import Foundation
import Testing
import TapsterCore

/// Claims become exactly one role and, for owners, the tenants of every matching rule; no match, no access.
@Suite("Role mapping from identity provider claims")
struct RoleMappingTests {
    let mapping = RoleMapping(rules: [
        RoleMappingRule(claim: "groups", value: "net-admins", role: .admin),
        RoleMappingRule(claim: "groups", value: "team-shop", role: .owner, tenant: "shop"),
        RoleMappingRule(claim: "groups", value: "team-blog", role: .owner, tenant: "blog"),
        RoleMappingRule(claim: "groups", value: "auditors", role: .auditor),
        RoleMappingRule(claim: "realm_access.roles", value: "shop-owner", role: .owner, tenant: "shop"),
    ])

    func claims(_ json: String) throws -> JSONValue { try JSONValue(data: Data(json.utf8)) }

    @Test func aGroupMapsToOwnerInItsTenant() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-shop", "unrelated"]}"#)) == MappedAccess(role: .owner, tenants: ["shop"]))
    }

    @Test func anOwnerOfTwoGroupsBelongsToBothTenants() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-blog", "team-shop"]}"#)) == MappedAccess(role: .owner, tenants: ["blog", "shop"]))
    }

    @Test func adminWinsOverOwnerAndAuditor() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-shop", "auditors", "net-admins"]}"#)) == MappedAccess(role: .admin))
    }

    @Test func auditorWinsOverOwner() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-shop", "auditors"]}"#)) == MappedAccess(role: .auditor))
    }

    @Test func aNestedClaimIsFollowed() throws {
        #expect(try mapping.access(for: claims(#"{"realm_access": {"roles": ["shop-owner"]}}"#)) == MappedAccess(role: .owner, tenants: ["shop"]))
    }

    @Test func aSingleStringClaimCountsAsOneValue() throws {
        #expect(try mapping.access(for: claims(#"{"groups": "net-admins"}"#)) == MappedAccess(role: .admin))
    }

    @Test func noMatchingRuleGivesNoAccess() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["marketing"]}"#)) == nil)
        #expect(try mapping.access(for: claims(#"{"email": "x@example.com"}"#)) == nil)
    }

    @Test func anOwnerRuleWithoutTenantAndAnAdminRuleWithOneAreInvalid() {
        #expect(throws: TapsterError.self) { try RoleMappingRule(claim: "groups", value: "x", role: .owner).validated() }
        #expect(throws: TapsterError.self) { try RoleMappingRule(claim: "groups", value: "x", role: .admin, tenant: "shop").validated() }
    }
}
