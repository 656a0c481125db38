import SQLKit
import TapsterCore

/// The workloads of one host. A workload's `name` column is `host/name` (``RecordCollection/workloads``), so a
/// host's workloads are the names from `host/` up to (not including) `host0` in byte order — `0` follows `/` —
/// a range an index answers: an agent's inventory and the hub's reading of one host cost that host's rows,
/// not a scan of the fleet's (migration 12 gives PostgreSQL the index in byte order).
extension SQLSession {
    func listWorkloads(onHost host: String) async throws -> [Workload] {
        try await fetchWorkloads(onHost: host).values().filter { $0.host == host }
    }

    func fetchWorkloads(onHost host: String) async throws -> FetchedRows<Workload> {
        let name = dialect.byteOrder("name")
        return try await fetch("list workloads of a host", """
            SELECT body FROM workloads
            WHERE \(name) >= \(bind: host + "/") AND \(name) < \(bind: host + "0")
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
