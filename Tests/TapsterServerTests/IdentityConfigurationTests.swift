import Foundation
import Testing
import TapsterCore
@testable import TapsterServer

/// `--identity-config`: what a file becomes, and the errors that name what is wrong in it.
@Suite("Identity configuration file")
struct IdentityConfigurationTests {
    @Test func aProviderAndItsMappingsAreRead() throws {
        let configuration = try IdentityConfiguration.parse("""
            oidc_providers:
              - name: corp
                issuer: https://idp.example.com
                client_id: tapster
                client_secret: s3cret
                cli_client_id: tapster-cli
                scopes: [profile, groups]
            role_mappings:
              - {claim: groups, value: net-admins, role: admin}
              - {claim: groups, value: team-shop, role: owner, tenant: shop}
            """)
        let provider = try #require(configuration.providers.first)
        #expect(provider.scopes == ["openid", "profile", "groups"])
        #expect(provider.audiences == ["tapster", "tapster-cli"])
        #expect(provider.usernameClaim == "preferred_username")
        #expect(provider.clockSkew == 60)
        #expect(configuration.roleMapping.rules == [RoleMappingRule(claim: "groups", value: "net-admins", role: .admin),
                                                    RoleMappingRule(claim: "groups", value: "team-shop", role: .owner, tenant: "shop")])
    }

    @Test func theClientSecretMayComeFromTheEnvironment() throws {
        let configuration = try IdentityConfiguration.parse("""
            oidc_providers: [{name: corp-sso, issuer: "https://idp.example.com", client_id: tapster}]
            role_mappings: [{claim: groups, value: a, role: admin}]
            """, environment: ["TAPSTER_OIDC_CORP_SSO_CLIENT_SECRET": "from-env"])
        #expect(configuration.providers.first?.clientSecret == "from-env")
    }

    @Test func aMissingFieldIsNamedWithItsPath() {
        let error = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("oidc_providers:\n  - name: corp\n    issuer: https://idp.example.com\n", origin: "id.yaml")
        }
        #expect(error?.message == "identity-config: id.yaml: oidc_providers[0].client_id is missing")
    }

    @Test func providersWithoutAnyMappingAreRefusedBecauseNobodyCouldSignIn() {
        let error = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("oidc_providers: [{name: corp, issuer: 'https://idp.example.com', client_id: t}]\n", origin: "id.yaml")
        }
        #expect(error?.field == "role_mappings")
    }

    @Test func anOwnerRuleWithoutTenantIsRefusedNamingTheRule() {
        let error = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("role_mappings: [{claim: groups, value: a, role: admin}, {claim: groups, value: b, role: owner}]\n")
        }
        #expect(error?.field == "role_mappings[1].tenant")
    }

    @Test func anIssuerThatIsNotAnHTTPURLIsRefused() {
        let error = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("""
                oidc_providers: [{name: corp, issuer: "idp.example.com", client_id: t}]
                role_mappings: [{claim: groups, value: a, role: admin}]
                """)
        }
        #expect(error?.field == "oidc_providers.corp.issuer")
    }

    @Test func aPlainHTTPIssuerIsRefusedUnlessOnLoopbackOrAllowed() throws {
        let mapping = "role_mappings: [{claim: groups, value: a, role: admin}]\n"
        #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("oidc_providers: [{name: corp, issuer: 'http://idp.example.com', client_id: t}]\n" + mapping)
        }
        _ = try IdentityConfiguration.parse("oidc_providers: [{name: corp, issuer: 'http://127.0.0.1:5556', client_id: t}]\n" + mapping)
        _ = try IdentityConfiguration.parse("oidc_providers: [{name: corp, issuer: 'http://idp.lab', client_id: t, allow_insecure_http: true}]\n" + mapping)
    }

    @Test func aCLISecretIsAcceptedOnlyForAClientOfItsOwn() {
        let error = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("""
                oidc_providers: [{name: corp, issuer: "https://idp.example.com", client_id: tapster, client_secret: s, cli_client_secret: s}]
                role_mappings: [{claim: groups, value: a, role: admin}]
                """)
        }
        #expect(error?.field == "oidc_providers.corp.cli_client_secret")
    }

    @Test func withSeveralProvidersEachRuleNamesItsProvider() {
        let error = #expect(throws: TapsterError.self) {
            try IdentityConfiguration.parse("""
                oidc_providers:
                  - {name: corp, issuer: "https://idp.example.com", client_id: t}
                  - {name: partner, issuer: "https://dex.partner.example", client_id: t}
                role_mappings: [{claim: groups, value: net-admins, role: admin}]
                """)
        }
        #expect(error?.field == "role_mappings[0].provider")
    }
}
