import Foundation
import SQLKit
import TapsterCore

/// Flow records: the record's JSON (without its HTTP exchanges) in `body`, keyed by ``FlowKey/storageID``, with
/// the columns reads are scoped and pruned by; each HTTP exchange a row of `http_exchanges` under its flow.
extension SQLSession {
    func recordFlows(_ flows: [StoredFlow]) async throws {
        try await perform("record flows") {
            for flow in flows {
                let id = flow.record.key.storageID
                var body = flow.record
                body.http = []
                try await execute("""
                    INSERT INTO flows (id, tap_id, host, workload, tenant, first_seen_ms, last_seen_ms, body)
                    VALUES (\(bind: id), \(bind: body.tapID), \(bind: body.host), \(bind: "\(body.host)/\(body.workload)"),
                            \(nullable(flow.tenant)), \(bind: body.firstSeen.millisecondsSince1970),
                            \(bind: body.lastSeen.millisecondsSince1970), \(bind: try StoredJSON.encode(body)))
                    ON CONFLICT (id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms, body = excluded.body
                    """)
                for exchange in flow.record.http {
                    try await execute("""
                        INSERT INTO http_exchanges (flow_id, tenant, requested_at_ms, body)
                        VALUES (\(bind: id), \(nullable(flow.tenant)), \(bind: exchange.requestedAt.millisecondsSince1970),
                                \(bind: try StoredJSON.encode(exchange)))
                        """)
                }
            }
        }
    }

    func fetchFlows(_ query: FlowQuery) async throws -> FetchedRows<StoredFlow> {
        var sql: SQLQueryString = "SELECT body, tenant FROM flows" + flowConditions(query, table: "flows")
        sql += " ORDER BY last_seen_ms DESC, \(dialect.byteOrder("id"))"
        if let limit = query.limit { sql += " LIMIT \(bind: limit)" }
        return try await fetch("list flows", sql) { row in
            StoredFlow(record: try row.body(FlowRecord.self), tenant: try row.optionalText("tenant"))
        }
    }

    func fetchHTTPExchanges(_ query: FlowQuery) async throws -> FetchedRows<(flow: StoredFlow, exchange: HTTPExchange)> {
        var sql: SQLQueryString = """
            SELECT flows.body AS body, flows.tenant AS tenant, http_exchanges.body AS exchange
            FROM http_exchanges JOIN flows ON flows.id = http_exchanges.flow_id
            """
        sql += flowConditions(query, table: "flows")
        sql += " ORDER BY http_exchanges.requested_at_ms"
        if let limit = query.limit { sql += " LIMIT \(bind: limit)" }
        return try await fetch("list http exchanges", sql) { row in
            (StoredFlow(record: try row.body(FlowRecord.self), tenant: try row.optionalText("tenant")),
             try row.body(HTTPExchange.self, column: "exchange"))
        }
    }

    func pruneFlows(before time: Date) async throws -> Int {
        try await perform("prune flows") {
            let cutoff = time.millisecondsSince1970
            try await execute("DELETE FROM http_exchanges WHERE requested_at_ms < \(bind: cutoff)")
            try await execute("""
                DELETE FROM http_exchanges WHERE flow_id IN (SELECT id FROM flows WHERE last_seen_ms < \(bind: cutoff))
                """)
            return try await rows("DELETE FROM flows WHERE last_seen_ms < \(bind: cutoff) RETURNING id").count
        }
    }

    /// The `WHERE` clause of a flow query over `table`'s columns (empty when it narrows nothing).
    private func flowConditions(_ query: FlowQuery, table: String) -> SQLQueryString {
        var conditions: [SQLQueryString] = []
        if let tenants = query.tenants {
            conditions.append(tenants.isEmpty ? "1 = 0" : "\(ident: table).tenant IN \(bindList(tenants))")
        }
        if let since = query.since { conditions.append("\(ident: table).last_seen_ms >= \(bind: since.millisecondsSince1970)") }
        if let workloads = query.workloads {
            conditions.append(workloads.isEmpty ? "1 = 0" : "\(ident: table).workload IN \(bindList(workloads))")
        }
        return conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}

extension SQLStore {
    public func recordFlows(_ flows: [StoredFlow]) async throws {
        guard !flows.isEmpty else { return }
        // One transaction: a report's records land together (and on SQLite, one lock for all of them).
        try await connections.withConnection { database in
            try await SQLSession.transaction(on: database, dialect: dialect) { try await $0.recordFlows(flows) }
        }
    }

    public func flows(_ query: FlowQuery) async throws -> [StoredFlow] {
        try await onConnection { try await $0.fetchFlows(query) }.values()
    }

    public func httpExchanges(_ query: FlowQuery) async throws -> [(flow: StoredFlow, exchange: HTTPExchange)] {
        try await onConnection { try await $0.fetchHTTPExchanges(query) }.values()
    }

    @discardableResult
    public func pruneFlows(before time: Date) async throws -> Int {
        try await onConnection { try await $0.pruneFlows(before: time) }
    }
}
