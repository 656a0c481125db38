import SQLKit
import TapsterCore

/// The workloads of one host. A workload's `name` column is `host/name` (``RecordCollection/workloads``):
/// the prefix compares names alone, so only that host's bodies are read and decoded.
extension SQLSession {
    func listWorkloads(onHost host: String) async throws -> [Workload] {
        let prefix = host + "/"
        return try await perform("list workloads of a host") {
            try await rows("""
                SELECT body FROM workloads
                WHERE substr(name, 1, CAST(\(bind: prefix.count) AS INTEGER)) = \(bind: prefix)
                ORDER BY \(dialect.byteOrder("name")), \(dialect.byteOrder("id"))
                """).map { try $0.body(Workload.self) }.filter { $0.host == host }
        }
    }
}

extension SQLStore {
    public func listWorkloads(onHost host: String) async throws -> [Workload] {
        try await onConnection { try await $0.listWorkloads(onHost: host) }
    }
}
