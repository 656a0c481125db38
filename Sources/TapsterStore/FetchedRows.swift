import SQLKit

/// Rows a listing read, turned into values only when asked: outside a transaction the store asks after
/// the connection is released. On SQLite every operation holds the store's one connection, and decoding
/// the JSON bodies of a large listing (a fleet's workloads: seconds at 100,000 rows) while holding it made
/// every other operation — an agent's Hello, the hub's reads — wait for that decoding.
struct FetchedRows<Value>: Sendable {
    /// The operation, for a decoding error's message (as ``DatabaseErrors`` words it).
    let operation: String
    let rows: [any SQLRow]
    let decode: @Sendable (any SQLRow) throws -> Value

    /// Every row's value, in order; a body that does not decode fails as the operation did.
    func values() throws -> [Value] {
        do {
            return try rows.map(decode)
        } catch {
            throw DatabaseErrors.map(error, operation: operation)
        }
    }
}

extension SQLSession {
    /// The rows of `sql`, with how each becomes a value (`operation` names it in errors).
    func fetch<Value>(_ operation: String, _ sql: SQLQueryString,
                      as decode: @escaping @Sendable (any SQLRow) throws -> Value) async throws -> FetchedRows<Value> {
        try await perform(operation) {
            FetchedRows(operation: operation, rows: try await rows(sql), decode: decode)
        }
    }
}
