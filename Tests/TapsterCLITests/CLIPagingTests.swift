import Foundation
import TapsterSystemTestSupport
import Testing
import TapsterClient
import TapsterCore

/// `tapster … list`: every page by default (kubectl's way), one page with `--limit` / `--continue`,
/// the next page's token on standard error — the real binary against a real server.
@Suite("CLI paging against a real server", .serialized, .timeLimit(.minutes(5)))
struct CLIPagingTests {
    /// Runs `body` with a server holding tenants `t000`…, created through the API.
    static func withTenants(_ count: Int, _ body: @Sendable (CLI, String) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await ServerProcess.with(binary: binary) { server in
            try await APIClient.with(server: server.url, token: server.adminToken) { client in
                for index in 0..<count {
                    let _: APIResponse<Tenant> = try await client.post(APIPath.api("tenants"), body: TenantSpec(name: String(format: "t%03d", index)))
                }
            }
            try await body(CLI(binary: binary, home: server.workDirectory + "/home", server: server.url), server.adminToken)
        }
    }

    /// The token in `More tenants: add --continue TOKEN`.
    static func continueToken(_ stderr: String) -> String? {
        let prefix = "More tenants: add --continue "
        guard stderr.hasPrefix(prefix), stderr.hasSuffix("\n") else { return nil }
        return String(stderr.dropFirst(prefix.count).dropLast())
    }

    @Test func limitPrintsOnePageAndTheNextPagesTokenOnStandardError() async throws {
        try await Self.withTenants(5) { cli, admin in
            let first = try await cli.run(["tenant", "list", "--limit", "2", "-o", "name"], token: admin)
            #expect(first.status == 0, "\(first)")
            #expect(first.stdout == "tenant/t000\ntenant/t001\n")
            let token = try #require(Self.continueToken(first.stderr), "\(first)")

            let second = try await cli.run(["tenant", "list", "--limit", "2", "--continue", token, "-o", "name"], token: admin)
            #expect(second.stdout == "tenant/t002\ntenant/t003\n")
            let last = try await cli.run(["tenant", "list", "--limit", "2", "--continue", try #require(Self.continueToken(second.stderr)),
                                          "-o", "name"], token: admin)
            #expect(last.stdout == "tenant/t004\n")
            #expect(last.stderr.isEmpty)
        }
    }

    @Test func withoutLimitEveryPageIsFetched() async throws {
        try await Self.withTenants(PageRequest.defaultLimit + 1) { cli, admin in
            let listed = try await cli.run(["tenant", "list", "-o", "json"], token: admin)
            #expect(listed.status == 0, "\(listed)")
            #expect(listed.stderr.isEmpty)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
            let names = (document["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == (0...PageRequest.defaultLimit).map { String(format: "t%03d", $0) })
            #expect(document["continue"] == nil)
        }
    }

    @Test func aForgedContinueTokenIsOneLineAndExitStatusOne() async throws {
        try await Self.withTenants(1) { cli, admin in
            let refused = try await cli.run(["tenant", "list", "--continue", "forged"], token: admin)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.errorLines.count == 1, "\(refused)")
            #expect(refused.stderr.hasSuffix("(bad_request)\n"), "\(refused)")
        }
    }
}
