import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster agent --join-token-file`: how the DaemonSet hands each node's agent its own single-use token
/// (a Secret with one key per node, mounted as a directory). A real server and a real agent.
@Suite("Agent join token file", .serialized, .timeLimit(.minutes(5)))
struct AgentJoinTokenFileTests {
    @Test func anAgentEnrolsWithTheTokenInItsFileAndIsListedConnected() async throws {
        let binary = try BuiltTapster.path()
        try await ServerProcess.with(binary: binary) { server in
            let scratch = try ScratchDirectory(label: "join-token-file")
            defer { scratch.remove() }
            let admin = CLI(binary: binary, home: scratch.path + "/admin", server: server.url)
            let name = "node-\(UUID().uuidString.prefix(6).lowercased())"
            let tokenFile = try await JoinTokenSecret(in: scratch).addToken(for: name, from: server, admin: admin)
            let agent = try BackgroundProcess(name: name, [binary, "agent", "--server", server.agentAddress, "--name", name,
                                                          "--data-dir", scratch.path + "/agent", "--join-token-file", tokenFile],
                                              directory: scratch)
            defer { agent.stop() }
            try await eventually("agent \(name) connected") { () async throws -> Bool? in
                if let status = agent.status { throw AgentExited(status: status, stderr: agent.stderr) }
                let listed = try await admin.run(["agent", "get", name, "-o", "json"], token: server.adminToken)
                return listed.status == 0 && listed.stdout.contains("\"connected\"") ? true : nil
            }
        }
    }

    @Test func anAgentNotEnrolledWhoseTokenFileIsMissingExitsSayingItNeedsAJoinToken() async throws {
        let binary = try BuiltTapster.path()
        try await ServerProcess.with(binary: binary) { server in
            let scratch = try ScratchDirectory(label: "join-token-file")
            defer { scratch.remove() }
            let agent = try BackgroundProcess(name: "agent", [binary, "agent", "--server", server.agentAddress, "--name", "node-absent",
                                                             "--data-dir", scratch.path + "/agent",
                                                             "--join-token-file", scratch.path + "/join-tokens/node-absent"],
                                              directory: scratch)
            defer { agent.stop() }
            let status = try await agent.waitForExit(timeout: .seconds(60))
            #expect(status == 1)
            #expect(agent.stderr.contains("this agent is not enrolled"), "\(agent.stderr)")
        }
    }

    @Test func anAgentWhoseTokenFileIsADirectoryExitsSayingItIsADirectory() async throws {
        let binary = try BuiltTapster.path()
        let scratch = try ScratchDirectory(label: "join-token-file")
        defer { scratch.remove() }
        let directory = scratch.path + "/join-tokens"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The file is read before any server is reached: none is started, and the address is never dialled.
        let agent = try BackgroundProcess(name: "agent", [binary, "agent", "--server", "127.0.0.1:9", "--name", "node-directory",
                                                         "--data-dir", scratch.path + "/agent", "--join-token-file", directory],
                                          directory: scratch)
        defer { agent.stop() }
        let status = try await agent.waitForExit(timeout: .seconds(60))
        #expect(status == 2)
        #expect(agent.stderr == "error: cannot read the join token file \(directory): is a directory; see --help (usage)\n")
    }
}

/// The agent a test waited on exited; how, and what it said.
private struct AgentExited: Error, CustomStringConvertible {
    let status: Int32
    let stderr: String
    var description: String { "the agent exited with status \(status): \(stderr)" }
}
