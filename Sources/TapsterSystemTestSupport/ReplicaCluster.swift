import Foundation

/// Several real `tapster serve` processes on one PostgreSQL database, as an operator runs replicas: each
/// on its own free ports with its own data directory and name (`replica-1`, `replica-2`, …), all sharing
/// the first one's agent CA (copied into their `pki/`) and audit key (`TAPSTER_AUDIT_KEY_FILE`). The first
/// starts alone (it creates the schema, the admin, the CA and the key), the others after it.
/// ``with(binary:databaseURL:count:arguments:_:)`` stops every process and removes their files, whatever
/// happens; a test may kill, stop and restart any of them.
public final class ReplicaCluster: Sendable {
    /// The replicas, in order; `replicas[0]` started first.
    public let replicas: [ServerProcess]

    /// The first admin's API token (the first replica created the admin).
    public var adminToken: String { replicas[0].adminToken }

    /// Each replica's name, as `--replica-name` gave it.
    public static func name(_ index: Int) -> String { "replica-\(index + 1)" }

    private init(replicas: [ServerProcess]) {
        self.replicas = replicas
    }

    /// Runs `body` with `count` started replicas on `databaseURL` (PostgreSQL); `arguments` are added to every
    /// `tapster serve`'s.
    public static func with<T: Sendable>(binary: String, databaseURL: String, count: Int, arguments: [String] = [],
                                         _ body: (ReplicaCluster) async throws -> T) async throws -> T {
        precondition(count >= 1, "a cluster has at least one replica")
        var replicas: [ServerProcess] = []
        defer { for replica in replicas { replica.discard() } }
        for index in 0..<count {
            let first = replicas.first
            let environment = first.map { ["TAPSTER_AUDIT_KEY_FILE": $0.dataDirectory + "/audit.key"] } ?? [:]
            let replica = try ServerProcess.prepared(
                binary: binary, arguments: ["--database-url", databaseURL, "--replica-name", name(index)] + arguments,
                environment: environment)
            replicas.append(replica)
            if let first { try shareCA(of: first, with: replica) }
            try await replica.start()
        }
        return try await body(ReplicaCluster(replicas: replicas))
    }

    /// Copies the first replica's CA (certificate and key, modes kept) into `replica`'s data directory.
    private static func shareCA(of first: ServerProcess, with replica: ServerProcess) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: replica.dataDirectory, withIntermediateDirectories: true,
                                  attributes: [.posixPermissions: 0o700])
        try files.copyItem(atPath: first.dataDirectory + "/pki", toPath: replica.dataDirectory + "/pki")
    }

    /// Runs `body`; when it throws, the error carries every replica's output (what a failing test needs to say why).
    public func explaining<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let logs = replicas.enumerated().map { "--- \(Self.name($0.offset)) (\($0.element.url)):\n\($0.element.log)" }
            throw ServerFailed(message: "\(error)\n" + logs.joined(separator: "\n"))
        }
    }
}
