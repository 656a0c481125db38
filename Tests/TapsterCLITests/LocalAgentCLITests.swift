import Foundation
import TapsterAPI
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// `tapster serve --with-agent` (what `make run` starts): the server runs this host's agent itself.
@Suite("tapster serve --with-agent", .serialized, .timeLimit(.minutes(3)))
struct LocalAgentCLITests {
    /// The agents as `tapster agent list -o json` shows them.
    static func agents(_ cli: CLI, token: String) async throws -> [Agent] {
        let listed = try await cli.run(["agent", "list", "-o", "json"], token: token)
        try #require(listed.status == 0, "\(listed)")
        return try TapsterJSON.decoder().decode(ItemList<Agent>.self, from: Data(listed.stdout.utf8)).items
    }

    @Test("the server enrols its own agent with a token it issues itself, and a restart reuses the enrolment")
    func enrolsItselfOnceAndReconnectsAfterARestart() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let scratch = try ScratchDirectory(label: "local-agent")
        defer { scratch.remove() }
        let configuration = scratch.path + "/agent.yaml"
        // Only this host's interfaces: the test's agent leaves other tests' namespaces alone.
        try "namespaces: []\nprocess_namespaces: false\n".write(toFile: configuration, atomically: true, encoding: .utf8)
        let name = "local-\(UInt16.random(in: 0...UInt16.max))"
        try await ServerProcess.with(binary: binary, arguments: ["--with-agent", "--agent-name", name, "--agent-config", configuration]) { server in
            let cli = CLI(binary: binary, home: scratch.path + "/home", server: server.url)
            let first = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "\(name) connected") { () -> Agent? in
                try await Self.agents(cli, token: server.adminToken).first { $0.name == name && $0.state == .connected }
            }
            #expect(first.address == "127.0.0.1")
            let workloads = try await cli.run(["workload", "list", "--host", name, "-o", "name"], token: server.adminToken)
            #expect(workloads.stdout.contains("workload/"), "the agent reported this host's interfaces: \(workloads)")

            server.stop()
            try await server.start()
            let again = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "\(name) connected after the restart") { () -> Agent? in
                try await Self.agents(cli, token: server.adminToken).first { $0.name == name && $0.state == .connected }
            }
            #expect(again.id == first.id)
            let tokens = try await cli.run(["agent", "token", "list", "-o", "name"], token: server.adminToken)
            #expect(tokens.stdout.split(separator: "\n").count == 1, "one token, issued at the first start only: \(tokens)")
        }
    }
}
