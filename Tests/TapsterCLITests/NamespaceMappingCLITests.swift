import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster namespace-mapping` and the pods' columns of `tapster workload list`, with the real `tapster`
/// binary against a real `tapster serve`.
@Suite("Namespace mappings and pods against a real server", .serialized, .timeLimit(.minutes(5)))
struct NamespaceMappingCLITests {
    /// Runs `body` with a server that has tenant `shop` and an admin's CLI.
    static func withShop(_ body: @Sendable (_ admin: CLI, _ token: String) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await ServerProcess.with(binary: binary) { server in
            let admin = CLI(binary: binary, home: server.workDirectory + "/admin", server: server.url)
            try await AccountCLITests.succeed(admin, ["tenant", "create", "shop"], token: server.adminToken)
            try await body(admin, server.adminToken)
        }
    }

    @Test func anAdminCreatesListsAndDeletesAMappingByItsPattern() async throws {
        try await Self.withShop { admin, token in
            let created = try await AccountCLITests.succeed(admin, ["namespace-mapping", "create", "shop-*", "--tenant", "shop"], token: token)
            let lines = created.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(lines.first == ["PATTERN", "TENANT", "DESCRIPTION", "AGE"])
            #expect(lines.dropFirst().first?.prefix(2) == ["shop-*", "shop"])
            let listed = try await AccountCLITests.succeed(admin, ["namespace-mappings", "list", "-o", "json"], token: token)
            let document = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
            let items = try #require(document?["items"] as? [[String: Any]])
            #expect(items.map { $0["pattern"] as? String } == ["shop-*"] && items.map { $0["tenant"] as? String } == ["shop"])
            #expect(try await AccountCLITests.succeed(admin, ["namespace-mapping", "list", "-o", "name"], token: token).stdout == "namespace-mapping/shop-*\n")
            #expect(try await AccountCLITests.succeed(admin, ["namespace-mapping", "delete", "shop-*"], token: token).stdout
                    == "namespace-mapping \"shop-*\" deleted\n")
            let empty = try await AccountCLITests.succeed(admin, ["namespace-mapping", "list"], token: token)
            #expect(empty.stdout.isEmpty && empty.stderr == "No namespace-mappings found.\n")
        }
    }

    @Test func anInvalidPatternIsOneErrorLineAndExitStatusOne() async throws {
        try await Self.withShop { admin, token in
            let refused = try await admin.run(["namespace-mapping", "create", "Shop_*", "--tenant", "shop"], token: token)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.errorLines.count == 1 && refused.stderr.hasPrefix("error: pattern: \"Shop_*\"")
                    && refused.stderr.hasSuffix("(invalid_argument)\n"), "\(refused)")
            #expect(refused.stdout.isEmpty)
        }
    }

    @Test func theWorkloadListShowsAPodsNamespaceAndNameApartAndFiltersByNamespace() async throws {
        try await Self.withShop { admin, token in
            try await AccountCLITests.succeed(admin, ["namespace-mapping", "create", "shop-*", "--tenant", "shop"], token: token)
            try await AccountCLITests.succeed(admin, ["workload", "register", "--name", "shop-a/web-1", "--kind", "pod", "--host", "node-1",
                                                      "--namespace", "shop-a", "--label", "app=web"], token: token)
            try await AccountCLITests.succeed(admin, ["workload", "register", "--name", "eth0", "--kind", "host", "--host", "node-1"], token: token)
            let table = try await AccountCLITests.succeed(admin, ["workload", "list"], token: token)
            let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(rows.first == ["ID", "NAMESPACE", "NAME", "KIND", "HOST", "TENANT", "LABELS", "IPS", "AGE"])
            let pod = try #require(rows.first { $0.contains("pod") })
            #expect(Array(pod.dropFirst().prefix(6)) == ["shop-a", "web-1", "pod", "node-1", "shop", "app=web,k8s.namespace=shop-a"])
            let inNamespace = try await AccountCLITests.succeed(admin, ["workload", "list", "-n", "shop-a", "-o", "json"], token: token)
            #expect(inNamespace.stdout.contains(#""name" : "shop-a/web-1""#) && !inNamespace.stdout.contains(#""name" : "eth0""#))
            let selected = try await AccountCLITests.succeed(admin, ["workload", "list", "-l", "k8s.namespace=shop-a", "-o", "json"], token: token)
            #expect(selected.stdout == inNamespace.stdout)
        }
    }

    @Test func aCaptureWithAnInvalidNamespaceIsAUsageErrorBeforeAnyRequest() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let cli = CLI(binary: binary, home: NSTemporaryDirectory() + "tapster-cli-\(UUID().uuidString)", server: "http://127.0.0.1:9")
        let refused = try await cli.run(["capture", "-l", "app=web", "-n", "Shop_A", "-w", "-"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.errorLines.count == 1 && refused.stderr.contains("-n \"Shop_A\" is not a Kubernetes namespace name")
                && refused.stderr.hasSuffix("(usage)\n"), "\(refused)")
    }
}
