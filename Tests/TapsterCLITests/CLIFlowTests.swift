import Foundation
import TapsterSystemTestSupport
import Testing
import TapsterClient
import TapsterCore

/// The real `tapster` binary against a real `tapster serve`.
@Suite("CLI against a real server", .serialized, .timeLimit(.minutes(5)))
struct CLIFlowTests {
    @Test func adminSetsUpOwnerTapsAndTheAuditShowsIt() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await ServerProcess.with(binary: binary) { server in
            let home = server.workDirectory + "/home"
            let cli = CLI(binary: binary, home: home, server: server.url)
            let admin = server.adminToken
            func ok(_ arguments: [String], token: String? = nil, input: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLIResult {
                let result = try await cli.run(arguments, token: token, input: input)
                #expect(result.status == 0, "tapster \(arguments.joined(separator: " ")): \(result)\nserver log:\n\(server.log)",
                        sourceLocation: sourceLocation)
                return result
            }

            // The admin defines a tenant, an owner, two targets, a filter, and grants one pair.
            #expect(try await ok(["whoami"], token: admin).stdout.contains("admin"))
            let tenant = try await ok(["tenant", "create", "shop", "--description", "Web shop"], token: admin)
            #expect(tenant.stdout.hasPrefix("NAME"))
            #expect(tenant.stdout.contains("shop"))
            _ = try await ok(["user", "create", "alice", "--role", "owner", "--tenant", "shop", "--password-stdin"],
                             token: admin, input: "correct-horse-battery-staple\n")
            _ = try await ok(["target", "create", "tool", "--kind", "erspan", "--destination", "192.0.2.10", "--session-id", "7",
                              "--payload", "headers:128"], token: admin)
            _ = try await ok(["target", "create", "other", "--kind", "vxlan", "--destination", "192.0.2.20", "--vni", "100",
                              "--tenant", "shop"], token: admin)
            let filter = try await ok(["filter", "create", "web", "--selector", "app=web", "--rule", "tcp,port=443"], token: admin)
            #expect(filter.stdout.contains("0 workloads on 0 hosts"))
            _ = try await ok(["grant", "create", "--user", "alice", "--filter", "web", "--target", "tool", "--max-duration", "1h"], token: admin)
            let targets = try await ok(["target", "list", "-o", "name"], token: admin)
            #expect(targets.stdout == "target/other\ntarget/tool\n" || targets.stdout == "target/tool\ntarget/other\n")

            // The owner logs in with a password; the token is saved, private, and used from then on.
            let login = try await ok(["login", "--user", "alice", "--password-stdin"], input: "correct-horse-battery-staple\n")
            #expect(login.stdout.contains("as alice (owner)"))
            let configPath = home + "/config/tapster/config.json"
            let mode = try FileManager.default.attributesOfItem(atPath: configPath)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            #expect(try await ok(["whoami", "-o", "json"]).stdout.contains(#""name" : "alice""#))

            // The owner opens a tap: the table shows it active, with its deadline.
            let created = try await ok(["tap", "create", "--filter", "web", "--target", "tool", "--for", "15m"])
            let row = try #require(created.stdout.split(separator: "\n").dropFirst().first.map(String.init))
            #expect(row.contains("active"))
            #expect(row.contains("in 14m") || row.contains("in 15m"))
            #expect(created.stderr.isEmpty || created.stderr.hasPrefix("warning: "))

            // -o json is the API's JSON.
            let listed = try await ok(["tap", "list", "-o", "json"])
            let document = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
            let items = try #require(document?["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["state"] as? String == "active")
            let id = try #require(items.first?["id"] as? String)
            #expect(try await ok(["tap", "get", id, "-o", "yaml"]).stdout.contains("state: active"))

            // A pair the owner was not granted: one line on stderr, exit status 1.
            let refused = try await cli.run(["tap", "create", "--filter", "web", "--target", "other", "--for", "5m"])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.errorLines.count == 1, "\(refused)")
            #expect(refused.stderr.hasPrefix("error: ") && refused.stderr.hasSuffix("(not_granted)\n"), "\(refused)")
            #expect(refused.stdout.isEmpty)

            // Stopping it.
            let stopped = try await ok(["tap", "stop", id])
            #expect(stopped.stdout.contains("stopped by user"))
            let live = try await ok(["tap", "list"])
            #expect(live.stdout.isEmpty)
            #expect(live.stderr == "No taps found.\n")
            #expect(try await ok(["tap", "list", "--all-states"]).stdout.contains(id))

            // The audit log has both, and its chain verifies.
            let audit = try await ok(["audit", "--tap", id], token: admin)
            #expect(audit.stdout.contains("tap.created"))
            #expect(audit.stdout.contains("tap.stopped"))
            let verify = try await ok(["audit", "verify"], token: admin)
            #expect(verify.stdout.contains("yes"))

            // Usage errors: one line, exit status 2.
            let usage = try await cli.run(["tap", "create", "--filter", "web"])
            #expect(usage.status == 2, "\(usage)")
            #expect(usage.errorLines.count == 1 && usage.stderr.hasSuffix("(usage)\n"), "\(usage)")

            // Logging out revokes the token and forgets it.
            _ = try await ok(["logout"])
            let after = try await cli.run(["whoami"])
            #expect(after.status == 1, "\(after)")
            #expect(after.stderr.hasSuffix("(unauthenticated)\n"), "\(after)")
        }
    }

    @Test func unreachableServerIsOneLineAndExitStatusThree() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let home = try ScratchDirectory(label: "tapster-cli-home")
        defer { home.remove() }
        let port = try freeLoopbackPort()
        let cli = CLI(binary: binary, home: home.path, server: nil)
        let result = try await cli.run(["tenant", "list", "--server", "http://127.0.0.1:\(port)", "--token", "whatever-token"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr == "error: cannot reach Tapster at http://127.0.0.1:\(port): connection refused (unreachable)\n", "\(result)")
        #expect(result.stdout.isEmpty)
    }
}
