import Foundation
import SQLKit
import TapsterCore

/// The store's operations on one connection: the session inside ``SQLStore/transaction(_:)``,
/// and what each of ``SQLStore``'s own operations runs on for its duration.
///
/// One SQL text serves both databases; ``Dialect`` holds the few differences.
struct SQLSession: StoreSession {
    let database: any SQLDatabase
    let dialect: Dialect
    /// Whether a transaction is open on ``database`` (so ``atomically(_:_:)`` needs none of its own).
    let inTransaction: Bool
    /// What new audit events are sealed with (``SQLStore/sealAudit(with:)``); plain SHA-256 without it.
    var auditKey: AuditKey? = nil

    /// Runs `body` in a transaction on `database`: commits when it returns, rolls back when it throws.
    static func transaction<T: Sendable>(on database: any SQLDatabase, dialect: Dialect, auditKey: AuditKey? = nil,
                                         _ body: @Sendable (SQLSession) async throws -> T) async throws -> T {
        do {
            try await database.raw(dialect.begin).run()
        } catch {
            throw DatabaseErrors.map(error, operation: "begin transaction")
        }
        let result: T
        do {
            result = try await body(SQLSession(database: database, dialect: dialect, inTransaction: true, auditKey: auditKey))
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw error
        }
        do {
            try await database.raw("COMMIT").run()
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw DatabaseErrors.map(error, operation: "commit transaction")
        }
        return result
    }

    /// Runs `body` atomically: in the open transaction, or in one of its own.
    func atomically<T: Sendable>(_ body: @Sendable (SQLSession) async throws -> T) async throws -> T {
        if inTransaction { return try await body(self) }
        return try await SQLSession.transaction(on: database, dialect: dialect, auditKey: auditKey, body)
    }

    /// Runs `body`, turning database errors into the store's (see ``DatabaseErrors/map(_:operation:conflict:)``).
    func perform<T>(_ operation: String, conflict: (() -> TapsterError)? = nil, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw DatabaseErrors.map(error, operation: operation, conflict: conflict)
        }
    }

    func execute(_ sql: SQLQueryString) async throws {
        try await database.raw(sql).run()
    }

    func rows(_ sql: SQLQueryString) async throws -> [any SQLRow] {
        try await database.raw(sql).all()
    }

    func row(_ sql: SQLQueryString) async throws -> (any SQLRow)? {
        try await database.raw(sql).first()
    }
}

/// A bound value, or SQL `NULL`.
func nullable(_ value: String?) -> any SQLExpression {
    value.map { SQLBind($0) } ?? SQLLiteral.null
}

/// A bound value, or SQL `NULL`.
func nullable(_ value: Int64?) -> any SQLExpression {
    value.map { SQLBind($0) } ?? SQLLiteral.null
}

/// The WHERE conditions of a tap or capture listing: with `tenants`, those tenants' rows and those of the
/// owner whose user id is `ownerID`, whatever their tenant (none when both are empty) — the SQL form of
/// ``Policy/isVisible(_:to:)``; with `states`, only rows in them (none when empty).
func visibilityConditions(tenants: Set<String>?, ownerID: String?, states: [String]?) -> [SQLQueryString] {
    var conditions: [SQLQueryString] = []
    if let tenants {
        var scope: [SQLQueryString] = []
        if !tenants.isEmpty { scope.append("tenant IN \(bindList(tenants))") }
        if let ownerID { scope.append("owner_id = \(bind: ownerID)") }
        conditions.append(scope.isEmpty ? "1 = 0" : "(\(scope.joined(separator: " OR ")))")
    }
    if let states {
        conditions.append(states.isEmpty ? "1 = 0" : "state IN \(bindList(states))")
    }
    return conditions
}

/// `(?, ?, …)` for a non-empty list of values.
func bindList(_ values: some Sequence<String>) -> SQLQueryString {
    "(\(binds: values.sorted() as [any Encodable & Sendable]))"
}

extension SQLRow {
    func text(_ column: String) throws -> String {
        try decode(column: column, as: String.self)
    }

    func optionalText(_ column: String) throws -> String? {
        try decodeNil(column: column) ? nil : decode(column: column, as: String.self)
    }

    func integer(_ column: String) throws -> Int64 {
        try decode(column: column, as: Int64.self)
    }

    func optionalInteger(_ column: String) throws -> Int64? {
        try decodeNil(column: column) ? nil : decode(column: column, as: Int64.self)
    }

    /// The JSON text in `column`, decoded.
    func body<T: Decodable>(_ type: T.Type, column: String = "body") throws -> T {
        try StoredJSON.decode(type, from: text(column))
    }
}

/// How bodies are stored: TEXT holding the API's JSON (``TapsterJSON``).
enum StoredJSON {
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try TapsterJSON.encoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try TapsterJSON.decoder().decode(type, from: Data(text.utf8))
    }
}

extension RecordCollection {
    /// The singular of the collection, for messages: `target` for `targets`, `namespace mapping` for `namespace_mappings`.
    var kind: String {
        (table.hasSuffix("s") ? String(table.dropLast()) : table).replacingOccurrences(of: "_", with: " ")
    }
}
