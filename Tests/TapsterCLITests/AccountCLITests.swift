import Foundation
import TapsterSystemTestSupport
import Testing

/// The account verbs of the real `tapster` binary against a real `tapster serve`: disabling and enabling
/// a user, changing one's password while signing out everywhere else, and paging back through the audit log.
@Suite("Account and audit verbs against a real server", .serialized, .timeLimit(.minutes(5)))
struct AccountCLITests {
    static let alicePassword = "correct-horse-battery-staple"

    /// Runs `body` with a server whose admin has made the owner `alice` (tenant `shop`).
    static func withAlice(_ body: @Sendable (ServerProcess, _ binary: String) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await ServerProcess.with(binary: binary) { server in
            let admin = CLI(binary: binary, home: server.workDirectory + "/admin", server: server.url)
            try await succeed(admin, ["tenant", "create", "shop"], token: server.adminToken)
            try await succeed(admin, ["user", "create", "alice", "--role", "owner", "--tenant", "shop", "--password-stdin"],
                              token: server.adminToken, input: alicePassword + "\n")
            try await body(server, binary)
        }
    }

    /// Runs the CLI and expects exit status 0.
    @discardableResult
    static func succeed(_ cli: CLI, _ arguments: [String], token: String? = nil, input: String? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLIResult {
        let result = try await cli.run(arguments, token: token, input: input)
        #expect(result.status == 0, "tapster \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
        return result
    }

    @Test func aDisabledUsersTokenIsRefusedUnauthenticatedAndEnablingLetsThemSignInAgain() async throws {
        try await Self.withAlice { server, binary in
            let admin = CLI(binary: binary, home: server.workDirectory + "/admin", server: server.url)
            let alice = CLI(binary: binary, home: server.workDirectory + "/alice", server: server.url)
            try await Self.succeed(alice, ["login", "--user", "alice", "--password-stdin"], input: Self.alicePassword + "\n")

            try await Self.succeed(admin, ["user", "disable", "alice"], token: server.adminToken)
            let refused = try await alice.run(["whoami"])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.errorLines.count == 1 && refused.stderr.hasSuffix("(unauthenticated)\n"), "\(refused)")
            let login = try await alice.run(["login", "--user", "alice", "--password-stdin"], input: Self.alicePassword + "\n")
            #expect(login.status == 1 && login.stderr.contains("user alice is disabled"), "\(login)")

            try await Self.succeed(admin, ["user", "enable", "alice"], token: server.adminToken)
            try await Self.succeed(alice, ["login", "--user", "alice", "--password-stdin"], input: Self.alicePassword + "\n")
            #expect(try await Self.succeed(alice, ["whoami"]).stdout.contains("alice"))
        }
    }

    @Test func userPasswdWithRevokeOthersEndsTheUsersOtherSessionsAndKeepsTheCurrentOne() async throws {
        try await Self.withAlice { server, binary in
            let laptop = CLI(binary: binary, home: server.workDirectory + "/laptop", server: server.url)
            let desktop = CLI(binary: binary, home: server.workDirectory + "/desktop", server: server.url)
            for cli in [laptop, desktop] {
                try await Self.succeed(cli, ["login", "--user", "alice", "--password-stdin"], input: Self.alicePassword + "\n")
            }

            try await Self.succeed(laptop, ["user", "passwd", "--revoke-others", "--password-stdin"],
                                   input: Self.alicePassword + "\nanother-long-passphrase-9\n")

            #expect(try await Self.succeed(laptop, ["whoami"]).stdout.contains("alice"))
            let other = try await desktop.run(["whoami"])
            #expect(other.status == 1 && other.stderr.hasSuffix("(unauthenticated)\n"), "\(other)")
        }
    }

    @Test func auditBeforePagesBackNewestFirstThroughStrictlyOlderEvents() async throws {
        try await Self.withAlice { server, binary in
            let admin = CLI(binary: binary, home: server.workDirectory + "/admin", server: server.url)
            for name in ["t1", "t2", "t3", "t4", "t5"] {
                try await Self.succeed(admin, ["tenant", "create", name], token: server.adminToken)
            }
            func page(_ extra: [String]) async throws -> (names: [String], sequences: [Int64], nextBefore: Int64?) {
                let result = try await Self.succeed(admin, ["audit", "--action", "tenant.created", "--limit", "2", "-o", "json"] + extra,
                                                    token: server.adminToken)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                let items = try #require(document["items"] as? [[String: Any]])
                return (items.compactMap { $0["object_name"] as? String },
                        items.compactMap { ($0["sequence"] as? NSNumber)?.int64Value },
                        (document["next_before"] as? NSNumber)?.int64Value)
            }

            let first = try await page([])
            #expect(first.names == ["t5", "t4"])
            let before = try #require(first.sequences.last)
            #expect(first.nextBefore == before)
            let second = try await page(["--before", String(before)])
            #expect(second.names == ["t3", "t2"])
            #expect(second.sequences.allSatisfy { $0 < before })
            #expect(second.sequences == second.sequences.sorted(by: >))
            let hint = try await admin.run(["audit", "--action", "tenant.created", "--limit", "2", "--before", String(before)],
                                           token: server.adminToken)
            #expect(hint.stderr == "More, older events: add --before \(second.sequences.last ?? 0)\n", "\(hint)")
        }
    }
}
