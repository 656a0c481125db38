import Foundation
import SQLKit
import TapsterCore

/// Captures: the record's JSON in `body`, and the columns listings and retention search: tenant,
/// owner, state, creation and expiry times, and the replica that runs it (fixed at creation).
extension SQLSession {
    func insertCapture(_ capture: Capture) async throws {
        try await perform("insert capture", conflict: { .alreadyExists("capture", capture.id) }) {
            try await execute("""
                INSERT INTO captures (id, tenant, owner, owner_id, state, created_at_ms, expires_at_ms, replica, body)
                VALUES (\(bind: capture.id), \(nullable(capture.tenant)), \(bind: capture.owner), \(nullable(capture.ownerID)),
                        \(bind: capture.state.rawValue),
                        \(bind: capture.createdAt.millisecondsSince1970), \(nullable(capture.expiresAt?.millisecondsSince1970)),
                        \(nullable(capture.replica?.name)), \(bind: try StoredJSON.encode(capture.withoutReaders)))
                """)
        }
    }

    func findCapture(id: String) async throws -> Capture? {
        try await perform("find capture") {
            guard var capture = try await row("SELECT body, owner_id FROM captures WHERE id = \(bind: id)").map(SQLSession.capture) else {
                return nil
            }
            capture.readers = try await captureReaders(of: "\(bind: id)")[id] ?? []
            return capture
        }
    }

    /// Newest first. With tenants: the captures of those tenants, and the owner's whatever their tenant.
    func listCaptures(_ query: CaptureQuery) async throws -> [Capture] {
        try await perform("list captures") {
            var conditions = visibilityConditions(tenants: query.tenants, ownerID: query.ownerID, states: query.states?.map(\.rawValue))
            if let replica = query.replica { conditions.append("(replica = \(bind: replica) OR replica IS NULL)") }
            let scope: SQLQueryString = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let readers = try await captureReaders(of: "SELECT id FROM captures" + scope)
            let sql: SQLQueryString = "SELECT body, owner_id FROM captures" + scope + " ORDER BY created_at_ms DESC, \(dialect.byteOrder("id")) DESC"
            return try await rows(sql).map(SQLSession.capture).map { capture in
                var capture = capture
                capture.readers = readers[capture.id] ?? []
                return capture
            }
        }
    }

    func updateCapture(_ capture: Capture, ifStateIs expected: Capture.State?) async throws -> Bool {
        try await perform("update capture") {
            var sql: SQLQueryString = """
                UPDATE captures
                SET tenant = \(nullable(capture.tenant)), owner = \(bind: capture.owner), owner_id = \(nullable(capture.ownerID)),
                    state = \(bind: capture.state.rawValue),
                    created_at_ms = \(bind: capture.createdAt.millisecondsSince1970),
                    expires_at_ms = \(nullable(capture.expiresAt?.millisecondsSince1970)), body = \(bind: try StoredJSON.encode(capture.withoutReaders))
                WHERE id = \(bind: capture.id)
                """
            if let expected { sql += " AND state = \(bind: expected.rawValue)" }
            sql += " RETURNING id"
            return try await row(sql) != nil
        }
    }

    func expiredCaptures(at now: Date) async throws -> [Capture] {
        try await perform("read expired captures") {
            try await rows("""
                SELECT body, owner_id FROM captures
                WHERE state IN ('complete', 'failed') AND expires_at_ms IS NOT NULL AND expires_at_ms <= \(bind: now.millisecondsSince1970)
                ORDER BY expires_at_ms, \(dialect.byteOrder("id"))
                """).map(SQLSession.capture).filter { $0.objectKey != nil }
        }
    }

    /// A capture from a row of `body, owner_id`, without its readers (they are kept in `capture_readers`): the column is the owner's id (a capture stored before
    /// ownership was by id has it only there, filled in by migration 4).
    private static func capture(_ row: any SQLRow) throws -> Capture {
        var capture = try row.body(Capture.self)
        capture.ownerID = try row.optionalText("owner_id")
        return capture
    }

    func nextCaptureExpiry() async throws -> Date? {
        try await perform("read next capture expiry") {
            try await row("""
                SELECT MIN(expires_at_ms) AS expires_at_ms FROM captures
                WHERE state IN ('complete', 'failed') AND expires_at_ms IS NOT NULL
                """)?.optionalInteger("expires_at_ms").map(Date.init(millisecondsSince1970:))
        }
    }
}

extension Capture {
    /// The record as its `body` keeps it: its readers live in `capture_readers`, so that deleting a user ends theirs.
    var withoutReaders: Capture {
        var capture = self
        capture.readers = nil
        return capture
    }
}
