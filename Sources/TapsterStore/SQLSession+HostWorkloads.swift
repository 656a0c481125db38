import SQLKit
import TapsterCore

/// The workloads of one host. A workload's `name` column is `host/name` (``RecordCollection/workloads``):
/// the prefix compares names alone, so only that host's bodies are read and decoded.
extension SQLSession {
    func listWorkloads(onHost host: String) async throws -> [Workload] {
        try await fetchWorkloads(onHost: host).values().filter { $0.host == host }
    }

    func fetchWorkloads(onHost host: String) async throws -> FetchedRows<Workload> {
        let prefix = host + "/"
        return try await fetch("list workloads of a host", """
            SELECT body FROM workloads
            WHERE substr(name, 1, CAST(\(bind: prefix.count) AS INTEGER)) = \(bind: prefix)
            ORDER BY \(dialect.byteOrder("name")), \(dialect.byteOrder("id"))
            """) { try $0.body(Workload.self) }
    }
}

extension SQLStore {
    public func listWorkloads(onHost host: String) async throws -> [Workload] {
        // Decoded once the connection is free again (``FetchedRows``).
        try await onConnection { try await $0.fetchWorkloads(onHost: host) }.values().filter { $0.host == host }
    }
}
