import Crypto
import Foundation
import TapsterAPI
import TapsterClient
import TapsterCore
import TapsterSystemTestSupport
import Testing
import _CryptoExtras

/// The API with a real OpenID Provider's tokens (oidc-provider-mock): who a token makes someone (the role mapping,
/// just in time), which tokens are refused and why, and key rotation at the provider — against a real `tapster serve`.
@Suite("OpenID Connect tokens on the API", .timeLimit(.minutes(5)))
struct OpenIDConnectEndToEndTests {
    static let mappings = """
        role_mappings:
          - {claim: groups, value: net-admins, role: admin}
          - {claim: groups, value: team-shop, role: owner, tenant: shop}
          - {claim: groups, value: team-blog, role: owner, tenant: blog}
          - {claim: groups, value: auditors, role: auditor}
        """

    /// `providers` as `name: issuer`, each with client `tapster` and CLI client `tapster-cli`.
    static func identityConfig(_ providers: [(name: String, issuer: String, extra: String)]) -> String {
        "oidc_providers:\n" + providers.map { provider in
            """
              - name: \(provider.name)
                issuer: \(provider.issuer)
                client_id: tapster
                client_secret: portal-secret
                cli_client_id: tapster-cli
                scopes: [openid, profile, email]
            \(provider.extra)
            """
        }.joined(separator: "\n") + "\n" + mappings + "\n"
    }

    /// Runs `body` with a server trusting `providers`; the admin has made tenants shop and blog.
    static func withServer(_ providers: [(name: String, issuer: String, extra: String)],
                           _ body: @Sendable (ServerProcess) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let scratch = try ScratchDirectory(label: "identity-config")
        defer { scratch.remove() }
        let config = scratch.path + "/identity.yaml"
        try identityConfig(providers).write(toFile: config, atomically: true, encoding: .utf8)
        try await ServerProcess.with(binary: binary, arguments: ["--identity-config", config]) { server in
            try await APIClient.with(server: server.url, token: server.adminToken) { admin in
                for tenant in ["shop", "blog"] { _ = try await admin.post(APIPath.api("tenants"), body: TenantSpec(name: tenant), as: Tenant.self) }
            }
            try await body(server)
        }
    }

    static func whoami(_ server: ServerProcess, token: String) async throws -> User {
        try await APIClient.with(server: server.url, token: token) { try await $0.get(APIPath.api("whoami"), as: User.self).value }
    }

    /// The error the API answers `token` with on `/whoami`.
    static func refusal(_ server: ServerProcess, token: String) async throws -> TapsterError {
        do {
            let user = try await whoami(server, token: token)
            Issue.record("the token was accepted as \(user.name)")
            return TapsterError(.internal, "accepted")
        } catch let error as TapsterError {
            return error
        }
    }

    static func subject() -> String { "person-" + UUID().uuidString.prefix(8).lowercased() }

    @Test func anIDTokenOfTeamShopActsAsAnOwnerOfShopAlone() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["preferred_username": "alice-\(sub)", "email": "\(sub)@example.com", "groups": ["team-shop"]])
            let tokens = try await provider.tokens(for: sub, clientID: "tapster-cli")
            let user = try await Self.whoami(server, token: tokens.idToken)
            #expect(user.name == "alice-\(sub)")
            #expect(user.role == .owner)
            #expect(user.spec.tenants == ["shop"])
            #expect(user.external == ExternalIdentity(issuer: provider.issuer, subject: sub, provider: "corp", email: "\(sub)@example.com"))
            let tenants = try await APIClient.with(server: server.url, token: tokens.idToken) {
                try await $0.get(APIPath.api("tenants"), as: ItemList<Tenant>.self).value.items.map(\.name)
            }
            #expect(tenants == ["shop"])
        }
    }

    @Test func theProvidersOpaqueAccessTokenIsAcceptedThroughUserinfoWhereTheAdminChoseIt() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "    opaque_access_tokens: userinfo")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["preferred_username": "bob-\(sub)", "groups": ["net-admins"]])
            let tokens = try await provider.tokens(for: sub, clientID: "tapster-cli")
            #expect(!tokens.accessToken.hasPrefix("eyJ"), "this provider's access tokens are opaque: \(tokens.accessToken.prefix(12))")
            let user = try await Self.whoami(server, token: tokens.accessToken)
            #expect(user.name == "bob-\(sub)" && user.role == .admin)
        }
    }

    @Test func anOpaqueAccessTokenIsRefusedByDefaultWhereTheProviderCannotSayWhomItWasIssuedTo() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["groups": ["net-admins"]])
            // No introspection endpoint at this provider, and userinfo was not chosen: any other application
            // holding this user's access token could otherwise use it here.
            let error = try await Self.refusal(server, token: provider.tokens(for: sub, clientID: "another-app").accessToken)
            #expect(error.code == .unauthenticated)
        }
    }

    @Test func aProviderUsersAPITokensLiveADayAtMostAndTheirRoleIsNotAnAdminsToChange() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["preferred_username": "ivy-\(sub)", "groups": ["team-shop"]])
            let token = try await provider.tokens(for: sub, clientID: "tapster").idToken
            try await APIClient.with(server: server.url, token: token) { ivy in
                let issued = try await ivy.post(APIPath.api("users", "ivy-\(sub)", "tokens"), body: TokenRequest(name: "ci"), as: IssuedToken.self).value
                let lifetime = try #require(issued.tokenInfo.expiresAt).timeIntervalSince(issued.tokenInfo.createdAt)
                #expect(lifetime == 24 * 3600)
                do {
                    _ = try await ivy.post(APIPath.api("users", "ivy-\(sub)", "tokens"), body: TokenRequest(name: "forever", expiresIn: TapDuration(seconds: 7 * 86_400)),
                                          as: IssuedToken.self)
                    Issue.record("a week-long token was issued")
                } catch let error as TapsterError {
                    #expect(error.code == .invalidArgument && error.field == "expires_in")
                }
            }
            do {
                _ = try await APIClient.with(server: server.url, token: server.adminToken) {
                    try await $0.patch(APIPath.api("users", "ivy-\(sub)"), body: UserPatch(role: .admin), as: User.self)
                }
                Issue.record("an admin changed a provider user's role")
            } catch let error as TapsterError {
                #expect(error.code == .invalidArgument && error.message.contains("follow their groups at corp"), "\(error.message)")
            }
        }
    }

    @Test func someoneInNoMappedGroupIsRefusedAndTheRefusalIsAudited() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["preferred_username": "mallory-\(sub)", "groups": ["marketing"]])
            let tokens = try await provider.tokens(for: sub, clientID: "tapster")
            let error = try await Self.refusal(server, token: tokens.idToken)
            #expect(error.code == .forbidden)
            #expect(error.message.contains("no role mapping gives them access") && error.message.contains("groups=marketing"), "\(error.message)")
            let events = try await APIClient.with(server: server.url, token: server.adminToken) {
                try await $0.get(APIPath.api("audit") + "?limit=50", as: AuditPage.self).value.items
            }
            // The same token again: refused again, without another audit event (a script cannot flood the log).
            #expect(try await Self.refusal(server, token: tokens.idToken).code == .forbidden)
            let refusals = try await APIClient.with(server: server.url, token: server.adminToken) {
                try await $0.get(APIPath.api("audit") + "?limit=50", as: AuditPage.self).value.items
            }.filter { $0.action == "user.sign_in_refused" }
            #expect(refusals.count == 1)
            let refused = try #require(events.first { $0.action == "user.sign_in_refused" })
            #expect(refused.actor == "mallory-\(sub)")
            #expect(refused.details["reason"] == "no role mapping matched")
            #expect(refused.details["identity"] == provider.issuer + "#" + sub)
            #expect(refused.details["auth"] == "oidc:corp")
        }
    }

    @Test func aGroupGoneFromTheTokenTakesItsTenantAwayAtTheNextSignIn() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["preferred_username": "carol-\(sub)", "groups": ["team-shop", "team-blog"]])
            #expect(try await Self.whoami(server, token: provider.tokens(for: sub, clientID: "tapster").idToken).spec.tenants == ["blog", "shop"])
            try await provider.setClaims(of: sub, ["preferred_username": "carol-\(sub)", "groups": ["team-blog"]])
            #expect(try await Self.whoami(server, token: provider.tokens(for: sub, clientID: "tapster").idToken).spec.tenants == ["blog"])
        }
    }

    @Test func whatThePersonDoesIsAuditedWithTheirIdentityAtTheProvider() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["preferred_username": "dave-\(sub)", "email": "dave@example.com", "name": "Dave D",
                                                   "groups": ["team-shop"]])
            let token = try await provider.tokens(for: sub, clientID: "tapster").idToken
            _ = try await APIClient.with(server: server.url, token: token) {
                try await $0.post(APIPath.api("users", "dave-\(sub)", "tokens"), body: TokenRequest(name: "ci"), as: IssuedToken.self)
            }
            let events = try await APIClient.with(server: server.url, token: server.adminToken) {
                try await $0.get(APIPath.api("audit") + "?limit=50", as: AuditPage.self).value.items
            }
            let created = try #require(events.first { $0.action == "token.created" && $0.actor == "dave-\(sub)" })
            #expect(created.details["auth"] == "oidc:corp")
            #expect(created.details["identity"] == provider.issuer + "#" + sub)
            #expect(created.details["email"] == "dave@example.com")
            #expect(created.details["display_name"] == "Dave D")
        }
    }

    @Test func aTokenForAnotherAudienceIsRefused() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["groups": ["net-admins"]])
            let error = try await Self.refusal(server, token: provider.tokens(for: sub, clientID: "grafana").idToken)
            #expect(error.code == .unauthenticated)
            #expect(error.message.contains("aud grafana is none of this server's client ids"), "\(error.message)")
        }
    }

    @Test func aTokenSignedByAnotherKeyIsRefused() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["groups": ["team-shop"]])
            let genuine = try await provider.tokens(for: sub, clientID: "tapster").idToken.split(separator: ".")
            // The provider's header (alg, kid) and claims, now claiming net-admins, signed with a key of the attacker's.
            var claims = try JSONSerialization.jsonObject(with: Base64URL.decode(genuine[1])!) as! [String: Any]
            claims["groups"] = ["net-admins"]
            let payload = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims))
            let input = genuine[0] + "." + payload
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation
            let error = try await Self.refusal(server, token: input + "." + Base64URL.encode(signature))
            #expect(error.code == .unauthenticated)
            #expect(error.message.contains("signature does not verify"), "\(error.message)")
        }
    }

    @Test func anUnsignedTokenWithAlgNoneIsRefused() async throws {
        let provider = try OpenIDProvider.shared()
        try await Self.withServer([("corp", provider.issuer, "")]) { server in
            let sub = Self.subject()
            try await provider.setClaims(of: sub, ["groups": ["net-admins"]])
            let genuine = try await provider.tokens(for: sub, clientID: "tapster").idToken.split(separator: ".")
            let header = Base64URL.encode(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
            let error = try await Self.refusal(server, token: header + "." + genuine[1] + ".")
            #expect(error.code == .unauthenticated)
            #expect(error.message.contains("alg none is not accepted"), "\(error.message)")
        }
    }

    @Test func aTokenOfAnIssuerThisServerDoesNotTrustIsRefused() async throws {
        let trusted = try OpenIDProvider.shared()
        try await OpenIDProvider.withPrivate { stranger in
            try await Self.withServer([("corp", trusted.issuer, "")]) { server in
                try await stranger.setClaims(of: "eve", ["groups": ["net-admins"]])
                let error = try await Self.refusal(server, token: stranger.tokens(for: "eve", clientID: "tapster").idToken)
                #expect(error.code == .unauthenticated)
                #expect(error.message == "the bearer JWT's issuer \(stranger.issuer) is not one of this server's identity providers")
            }
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await OpenIDProvider.withPrivate(options: ["--token-max-age", "2"]) { provider in
            try await Self.withServer([("short", provider.issuer, "    clock_skew_seconds: 0")]) { server in
                try await provider.setClaims(of: "frank", ["groups": ["team-shop"]])
                let token = try await provider.tokens(for: "frank", clientID: "tapster").idToken
                let expiry = try #require(try JSONValue(data: Base64URL.decode(token.split(separator: ".")[1])!)["exp"]?.number)
                // Waits until the token is past its expiry by the server's clock too (no skew allowed here).
                try await Task.sleep(for: .seconds(max(0, expiry - Date().timeIntervalSince1970) + 1.2))
                let error = try await Self.refusal(server, token: token)
                #expect(error.code == .unauthenticated)
                #expect(error.message.contains("the token expired at"), "\(error.message)")
            }
        }
    }

    @Test func keysRotatedAtTheProviderAreFollowedWithoutARestart() async throws {
        try await OpenIDProvider.withPrivate { provider in
            try await Self.withServer([("rotating", provider.issuer, "")]) { server in
                try await provider.setClaims(of: "grace", ["groups": ["team-shop"]])
                #expect(try await Self.whoami(server, token: provider.tokens(for: "grace", clientID: "tapster").idToken).role == .owner)
                try provider.restart()
                try await provider.setClaims(of: "grace", ["groups": ["team-shop"]])
                let rotated = try await provider.tokens(for: "grace", clientID: "tapster").idToken
                #expect(try await Self.whoami(server, token: rotated).role == .owner)
                #expect(server.log.contains("fetched the provider's keys again for a token the kept ones do not verify"))
            }
        }
    }
}
