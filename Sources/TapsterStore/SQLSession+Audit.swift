import Foundation
import SQLKit
import TapsterCore

/// The hash-chained audit log: `audit_events`, one row per event, and `audit_head`, the last
/// sequence and hash recorded apart, so that deleting the newest events is detected too.
extension SQLSession {
    /// Takes the head (locked until the transaction ends), seals the entry after it, inserts it
    /// and moves the head — in the open transaction, or in one of its own.
    func appendAudit(_ entry: AuditEntry, at time: Date) async throws -> AuditEvent {
        try await atomically { session in
            try await session.perform("append audit event") {
                guard let head = try await session.row("""
                    SELECT sequence, hash FROM audit_head WHERE id = 1\(session.dialect.forUpdate)
                    """) else {
                    throw StoreError(operation: "append audit event", underlying: "the audit head is missing; migrate the database")
                }
                // The chain hashes milliseconds, and milliseconds are what is stored: seal exactly those.
                let event = AuditChain.seal(
                    entry, sequence: try head.integer("sequence") + 1, time: Date(millisecondsSince1970: time.millisecondsSince1970),
                    previousHash: try head.text("hash"), key: session.auditKey)
                try await session.execute("""
                    INSERT INTO audit_events (sequence, time_ms, actor, action, object_type, object_id, object_name, tenant,
                                              details, previous_hash, hash)
                    VALUES (\(bind: event.sequence), \(bind: event.time.millisecondsSince1970), \(bind: event.actor),
                            \(bind: event.action), \(bind: event.objectType), \(nullable(event.objectId)),
                            \(nullable(event.objectName)), \(nullable(event.tenant)), \(bind: try AuditDetails.encode(event.details)),
                            \(bind: event.previousHash), \(bind: event.hash))
                    """)
                try await session.execute("""
                    UPDATE audit_head SET sequence = \(bind: event.sequence), hash = \(bind: event.hash) WHERE id = 1
                    """)
                return event
            }
        }
    }

    func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        try await perform("read audit events") {
            var conditions: [SQLQueryString] = []
            if let since = query.since { conditions.append("time_ms >= \(bind: since.millisecondsSince1970)") }
            if let until = query.until { conditions.append("time_ms <= \(bind: until.millisecondsSince1970)") }
            if let actor = query.actor { conditions.append("actor = \(bind: actor)") }
            if let action = query.action {
                if action.hasSuffix(".") {
                    // A prefix: compared with substr, the same in both databases and free of LIKE's wildcards.
                    conditions.append("substr(action, 1, \(literal: action.unicodeScalars.count)) = \(bind: action)")
                } else {
                    conditions.append("action = \(bind: action)")
                }
            }
            if let objectId = query.objectId { conditions.append("object_id = \(bind: objectId)") }
            if let objectType = query.objectType { conditions.append("object_type = \(bind: objectType)") }
            if let tenants = query.tenants { conditions.append(tenants.isEmpty ? "1 = 0" : "tenant IN \(bindList(tenants))") }
            if let after = query.afterSequence { conditions.append("sequence > \(bind: after)") }
            if let before = query.beforeSequence { conditions.append("sequence < \(bind: before)") }
            var sql: SQLQueryString = "SELECT \(SQLSession.eventColumns) FROM audit_events"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += query.newestFirst ? " ORDER BY sequence DESC" : " ORDER BY sequence"
            if let limit = query.limit { sql += " LIMIT \(literal: max(0, limit))" }
            return try await rows(sql).map(SQLSession.event)
        }
    }

    /// Verifies the chain up to the head. The head is read first: events appended meanwhile lie
    /// beyond it and are left for the next verification.
    func verifyAudit() async throws -> AuditVerification {
        try await perform("verify audit log") {
            guard let head = try await row("SELECT sequence, hash FROM audit_head WHERE id = 1") else {
                throw StoreError(operation: "verify audit log", underlying: "the audit head is missing; migrate the database")
            }
            let last = try head.integer("sequence")
            let events = try await rows("""
                SELECT \(SQLSession.eventColumns) FROM audit_events WHERE sequence <= \(bind: last) ORDER BY sequence
                """).map(SQLSession.event)
            return AuditChain.verify(events, head: (sequence: last, hash: try head.text("hash")), key: auditKey)
        }
    }

    private static let eventColumns: SQLQueryString = """
        sequence, time_ms, actor, action, object_type, object_id, object_name, tenant, details, previous_hash, hash
        """

    private static func event(_ row: any SQLRow) throws -> AuditEvent {
        AuditEvent(
            sequence: try row.integer("sequence"), time: Date(millisecondsSince1970: try row.integer("time_ms")),
            actor: try row.text("actor"), action: try row.text("action"), objectType: try row.text("object_type"),
            objectId: try row.optionalText("object_id"), objectName: try row.optionalText("object_name"),
            tenant: try row.optionalText("tenant"), details: try AuditDetails.decode(try row.text("details")),
            previousHash: try row.text("previous_hash"), hash: try row.text("hash"))
    }
}

/// An event's details as JSON text. Plain JSON, without ``TapsterJSON``'s key conversion, so
/// that every key comes back exactly as written (the chain's hash covers them).
enum AuditDetails {
    static func encode(_ details: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }
}
