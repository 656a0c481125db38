import Foundation
import TapsterClient
import TapsterSystemTestSupport
import Testing

/// `tapster login --oidc` against a real OpenID Provider and a real server: the test plays the browser's part
/// (it opens the URL the CLI prints, signs in at the provider's form and follows the redirect to the CLI's
/// loopback listener), then the saved token works for the next command.
@Suite("tapster login --oidc", .timeLimit(.minutes(3)))
struct OIDCLoginCLITests {
    static let prompt = "open this URL in a browser on this machine: "

    /// A server trusting the shared provider as `corp`, with team-shop mapped to owner of shop.
    static func withServer(_ body: @Sendable (ServerProcess, OpenIDProvider, String) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let provider = try OpenIDProvider.shared()
        let scratch = try ScratchDirectory(label: "identity-config")
        defer { scratch.remove() }
        let config = scratch.path + "/identity.yaml"
        try """
            oidc_providers:
              - name: corp
                issuer: \(provider.issuer)
                client_id: tapster
                client_secret: portal-secret
                cli_client_id: tapster-cli
                cli_client_secret: published-cli-secret
                opaque_access_tokens: userinfo   # its refresh brings an access token only
            role_mappings:
              - {claim: groups, value: team-shop, role: owner, tenant: shop}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try await ServerProcess.with(binary: binary, arguments: ["--identity-config", config]) { server in
            let admin = CLI(binary: binary, home: server.workDirectory + "/admin", server: server.url)
            #expect(try await admin.run(["tenant", "create", "shop"], token: server.adminToken).status == 0)
            try await body(server, provider, binary)
        }
    }

    /// Runs the login in the background, its output in `directory` (the caller's, removed when done with the
    /// process), and signs in as `subject` where it says.
    static func browserLogin(_ cli: CLI, as subject: String, provider: OpenIDProvider, arguments: [String],
                             directory: ScratchDirectory) async throws -> BackgroundProcess {
        let login = try cli.start(["login", "--oidc"] + arguments, name: "login", directory: directory)
        try await login.waitForOutput(prompt)
        let url = try #require(login.stderr.components(separatedBy: prompt).last?.split(separator: "\n").first.map(String.init))
        let callback = try await provider.authorize(url, as: subject)
        #expect(callback.hasPrefix("http://127.0.0.1:"), "the provider sends the browser to the CLI's loopback listener: \(callback)")
        let landed = try await OpenIDProvider.get(callback)
        #expect(landed.status == 200 && landed.text.contains("You can close this window"), "\(landed.text)")
        return login
    }

    @Test func aBrowserSignInSavesTheIDTokenAndTheNextCommandUsesIt() async throws {
        try await Self.withServer { server, provider, binary in
            let sub = "cli-" + UUID().uuidString.prefix(8).lowercased()
            try await provider.setClaims(of: sub, ["preferred_username": sub, "groups": ["team-shop"]])
            let cli = CLI(binary: binary, home: server.workDirectory + "/" + sub, server: server.url)
            // No device grant at this provider: the CLI chooses the browser by itself.
            let scratch = try ScratchDirectory(label: "oidc-login")
            defer { scratch.remove() }
            let login = try await Self.browserLogin(cli, as: sub, provider: provider, arguments: ["corp"], directory: scratch)
            #expect(try await login.waitForExit() == 0, "\(login.stderr)")
            #expect(login.stdout.contains("Logged in to \(server.url) as \(sub) (owner)"), "\(login.stdout)")

            let config = server.workDirectory + "/\(sub)/config/tapster/config.json"
            let attributes = try FileManager.default.attributesOfItem(atPath: config)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let saved = try #require(try ConfigFile(path: config).load())
            #expect(saved.oidc?.provider == "corp" && saved.oidc?.clientId == "tapster-cli" && saved.oidc?.refreshToken != nil)

            let taps = try await cli.run(["tap", "list"])
            #expect(taps.status == 0, "\(taps)")
            let whoami = try await cli.run(["whoami", "-o", "json"])
            #expect(whoami.stdout.contains("\"name\" : \"\(sub)\"") || whoami.stdout.contains("\"name\": \"\(sub)\""), "\(whoami)")
        }
    }

    @Test func anExpiringTokenIsRefreshedBeforeTheNextCommand() async throws {
        try await Self.withServer { server, provider, binary in
            let sub = "cli-" + UUID().uuidString.prefix(8).lowercased()
            try await provider.setClaims(of: sub, ["preferred_username": sub, "groups": ["team-shop"]])
            let cli = CLI(binary: binary, home: server.workDirectory + "/" + sub, server: server.url)
            let scratch = try ScratchDirectory(label: "oidc-login")
            defer { scratch.remove() }
            let login = try await Self.browserLogin(cli, as: sub, provider: provider, arguments: ["--flow", "browser"], directory: scratch)
            #expect(try await login.waitForExit() == 0, "\(login.stderr)")
            let file = ConfigFile(path: server.workDirectory + "/\(sub)/config/tapster/config.json")
            var saved = try #require(try file.load())
            // As if the ID token were about to run out: the next command refreshes it first.
            saved.oidc?.expiresAt = Date()
            try file.save(saved)
            let whoami = try await cli.run(["whoami"])
            #expect(whoami.status == 0, "\(whoami)")
            let refreshed = try #require(try file.load())
            // This provider's refresh brings a new access token (no ID token), which the server takes through userinfo.
            #expect(refreshed.token != saved.token, "\(whoami)")
            #expect(try #require(refreshed.oidc?.expiresAt) > Date().addingTimeInterval(60))
        }
    }

    @Test func aProviderTheServerDoesNotHaveIsAClearOneLineError() async throws {
        try await Self.withServer { server, _, binary in
            let cli = CLI(binary: binary, home: server.workDirectory + "/nobody", server: server.url)
            let result = try await cli.run(["login", "--oidc", "okta"])
            #expect(result.status == 1)
            #expect(result.errorLines == ["error: \(server.url) has no identity provider okta (it has: corp) (unknown_provider)"], "\(result)")
        }
    }
}
