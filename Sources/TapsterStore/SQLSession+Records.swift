import Foundation
import SQLKit
import TapsterCore

/// Tenants, targets, filters, grants and workloads: one table each, the record as JSON in
/// `body`, and the columns it is found, scoped and sorted by.
extension SQLSession {
    func insert<Spec>(_ record: Record<Spec>, into collection: RecordCollection<Spec>) async throws {
        let name = collection.name(record.spec)
        try await perform("insert \(collection.kind)", conflict: { .alreadyExists(collection.kind, name ?? record.id) }) {
            try await execute("""
                INSERT INTO \(ident: collection.table) (id, name, tenant, created_at_ms, updated_at_ms, body)
                VALUES (\(bind: record.id), \(nullable(name)), \(nullable(collection.tenant(record.spec))),
                        \(bind: record.createdAt.millisecondsSince1970), \(bind: record.updatedAt.millisecondsSince1970),
                        \(bind: try StoredJSON.encode(record)))
                """)
        }
    }

    func update<Spec>(_ record: Record<Spec>, in collection: RecordCollection<Spec>) async throws -> Bool {
        let name = collection.name(record.spec)
        return try await perform("update \(collection.kind)", conflict: { .alreadyExists(collection.kind, name ?? record.id) }) {
            try await row("""
                UPDATE \(ident: collection.table)
                SET name = \(nullable(name)), tenant = \(nullable(collection.tenant(record.spec))),
                    created_at_ms = \(bind: record.createdAt.millisecondsSince1970),
                    updated_at_ms = \(bind: record.updatedAt.millisecondsSince1970), body = \(bind: try StoredJSON.encode(record))
                WHERE id = \(bind: record.id)
                RETURNING id
                """) != nil
        }
    }

    func delete<Spec>(id: String, from collection: RecordCollection<Spec>) async throws -> Bool {
        try await perform("delete \(collection.kind)") {
            try await row("DELETE FROM \(ident: collection.table) WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    func find<Spec>(_ reference: String, in collection: RecordCollection<Spec>) async throws -> Record<Spec>? {
        try await perform("find \(collection.kind)") {
            // An id match wins over a name match.
            try await row("""
                SELECT body FROM \(ident: collection.table)
                WHERE id = \(bind: reference) OR name = \(bind: reference)
                ORDER BY CASE WHEN id = \(bind: reference) THEN 0 ELSE 1 END
                LIMIT 1
                """).map { try $0.body(Record<Spec>.self) }
        }
    }

    func list<Spec>(_ collection: RecordCollection<Spec>, tenants: Set<String>?) async throws -> [Record<Spec>] {
        try await fetchList(collection, tenants: tenants).values()
    }

    func fetchList<Spec>(_ collection: RecordCollection<Spec>, tenants: Set<String>?) async throws -> FetchedRows<Record<Spec>> {
        var sql: SQLQueryString = "SELECT body FROM \(ident: collection.table)"
        if let tenants {
            sql += tenants.isEmpty ? " WHERE 1 = 0" : " WHERE tenant IN \(bindList(tenants))"
        }
        sql += " ORDER BY \(dialect.byteOrder("name")), \(dialect.byteOrder("id"))"
        return try await fetch("list \(collection.table)", sql) { try $0.body(Record<Spec>.self) }
    }
}
