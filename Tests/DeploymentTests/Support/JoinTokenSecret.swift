import Foundation
import TapsterSystemTestSupport
import Testing

/// The Secret `tapster-join-tokens` as the agent sees it mounted: a directory with one file per node,
/// named after the node, holding a join token the server issued for that node's agent.
struct JoinTokenSecret {
    /// The mounted directory.
    let directory: String

    /// Creates `<scratch>/join-tokens` (empty).
    init(in scratch: ScratchDirectory) throws {
        directory = scratch.path + "/join-tokens"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Asks the server (as its admin) for a join token for `node` and writes it under the node's name — with the
    /// newline `kubectl create secret --from-file` may keep; the file's path.
    @discardableResult
    func addToken(for node: String, from server: ServerProcess, admin: CLI) async throws -> String {
        struct Created: Decodable { var token: String }
        let created = try await admin.run(["agent", "token", "create", node, "-o", "json"], token: server.adminToken)
        try #require(created.status == 0, "\(created)")
        let token = try JSONDecoder().decode(Created.self, from: Data(created.stdout.utf8)).token
        let path = directory + "/" + node
        try (token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
