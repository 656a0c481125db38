import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster auth check` tries an identity configuration against the real providers it names.
@Suite("tapster auth check", .timeLimit(.minutes(2)))
struct AuthCheckCLITests {
    @Test func itSaysWhatAProviderOffersAndFailsForOneThatDoesNotAnswer() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let provider = try OpenIDProvider.shared()
        let scratch = try ScratchDirectory(label: "auth-check")
        defer { scratch.remove() }
        let unreachable = try freeLoopbackPort()
        try """
            oidc_providers:
              - {name: corp, issuer: "\(provider.issuer)", client_id: tapster, client_secret: s}
              - {name: gone, issuer: "http://127.0.0.1:\(unreachable)", client_id: tapster, client_secret: s}
            role_mappings:
              - {claim: groups, value: team-shop, role: owner, tenant: shop, provider: corp}
            """.write(toFile: scratch.path + "/identity.yaml", atomically: true, encoding: .utf8)
        let result = try await CLI(binary: binary, home: scratch.path, server: nil).run(["auth", "check", "--identity-config", scratch.path + "/identity.yaml"])
        #expect(result.status == 1, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("ok    provider corp: 1 signing key(s) at \(provider.issuer)/jwks"), "\(result)")
        #expect(lines.contains("ok    provider corp: CLI sign-in by browser and loopback redirect, userinfo yes, end session yes"), "\(result)")
        #expect(lines.contains { $0.hasPrefix("FAIL  provider gone: discovery at http://127.0.0.1:\(unreachable)/.well-known/openid-configuration failed") },
                "\(result)")
        #expect(lines.contains("ok    mapping: groups = team-shop at corp → owner in tenant shop"), "\(result)")
    }
}
