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
        #expect(try mapping.access(for: claims(#"{"groups": ["team-shop", "unrelated"]}"#), provider: "corp") == MappedAccess(role: .owner, tenants: ["shop"]))
    }

    @Test func anOwnerOfTwoGroupsBelongsToBothTenants() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-blog", "team-shop"]}"#), provider: "corp") == MappedAccess(role: .owner, tenants: ["blog", "shop"]))
    }

    @Test func adminWinsOverOwnerAndAuditor() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-shop", "auditors", "net-admins"]}"#), provider: "corp") == MappedAccess(role: .admin))
    }

    @Test func auditorWinsOverOwner() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["team-shop", "auditors"]}"#), provider: "corp") == MappedAccess(role: .auditor))
    }

    @Test func aNestedClaimIsFollowed() throws {
        #expect(try mapping.access(for: claims(#"{"realm_access": {"roles": ["shop-owner"]}}"#), provider: "corp") == MappedAccess(role: .owner, tenants: ["shop"]))
    }

    @Test func aSingleStringClaimCountsAsOneValue() throws {
        #expect(try mapping.access(for: claims(#"{"groups": "net-admins"}"#), provider: "corp") == MappedAccess(role: .admin))
    }

    @Test func noMatchingRuleGivesNoAccess() throws {
        #expect(try mapping.access(for: claims(#"{"groups": ["marketing"]}"#), provider: "corp") == nil)
        #expect(try mapping.access(for: claims(#"{"email": "x@example.com"}"#), provider: "corp") == nil)
    }

    @Test func aRuleNamingAProviderReadsOnlyThatProvidersClaims() throws {
        let scoped = RoleMapping(rules: [RoleMappingRule(claim: "groups", value: "net-admins", role: .admin, provider: "corp")])
        #expect(try scoped.access(for: claims(#"{"groups": ["net-admins"]}"#), provider: "corp") == MappedAccess(role: .admin))
        #expect(try scoped.access(for: claims(#"{"groups": ["net-admins"]}"#), provider: "partner-dex") == nil)
    }

    @Test func anEmailRuleMatchesOnlyAVerifiedAddress() throws {
        let byEmail = RoleMapping(rules: [RoleMappingRule(claim: "email", value: "root@example.com", role: .admin)])
        #expect(try byEmail.access(for: claims(#"{"email": "root@example.com", "email_verified": true}"#), provider: "corp") == MappedAccess(role: .admin))
        #expect(try byEmail.access(for: claims(#"{"email": "root@example.com"}"#), provider: "corp") == nil)
        #expect(try byEmail.access(for: claims(#"{"email": "root@example.com", "email_verified": false}"#), provider: "corp") == nil)
    }

    @Test func anOwnerRuleWithoutTenantAndAnAdminRuleWithOneAreInvalid() {
        #expect(throws: TapsterError.self) { try RoleMappingRule(claim: "groups", value: "x", role: .owner).validated() }
        #expect(throws: TapsterError.self) { try RoleMappingRule(claim: "groups", value: "x", role: .admin, tenant: "shop").validated() }
    }
}
