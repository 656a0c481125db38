import Foundation
import SQLKit
import TapsterCore

/// The users entitled to read captures' packets (`capture_readers`), by user id; their names are read
/// from `users` as they are now.
extension SQLSession {
    @discardableResult
    func insertCaptureReader(captureID: String, userID: String, grantedBy: String, at time: Date) async throws -> Bool {
        try await perform("entitle capture reader") {
            try await row("""
                INSERT INTO capture_readers (capture_id, user_id, granted_by, granted_at_ms)
                VALUES (\(bind: captureID), \(bind: userID), \(bind: grantedBy), \(bind: time.millisecondsSince1970))
                ON CONFLICT (capture_id, user_id) DO NOTHING
                RETURNING capture_id
                """) != nil
        }
    }

    @discardableResult
    func deleteCaptureReader(captureID: String, userID: String) async throws -> Bool {
        try await perform("revoke capture reader") {
            try await row("""
                DELETE FROM capture_readers WHERE capture_id = \(bind: captureID) AND user_id = \(bind: userID) RETURNING capture_id
                """) != nil
        }
    }

    func readerCaptureIDs(userID: String) async throws -> [String] {
        try await perform("list a reader's captures") {
            try await rows("""
                SELECT capture_id FROM capture_readers WHERE user_id = \(bind: userID) ORDER BY \(dialect.byteOrder("capture_id"))
                """).map { try $0.text("capture_id") }
        }
    }

    /// The readers of the captures `captureIDs` selects (a subquery over `captures`), by capture id,
    /// oldest entitlement first.
    func captureReaders(of captureIDs: SQLQueryString) async throws -> [String: [CaptureReaderEntitlement]] {
        let select: SQLQueryString = """
            SELECT r.capture_id, r.user_id, u.name, r.granted_by, r.granted_at_ms
            FROM capture_readers r JOIN users u ON u.id = r.user_id
            WHERE r.capture_id IN (
            """
        let rows = try await rows(select + captureIDs + ") ORDER BY r.granted_at_ms, r.user_id")
        return try rows.reduce(into: [:]) { readers, row in
            readers[try row.text("capture_id"), default: []].append(CaptureReaderEntitlement(
                userId: try row.text("user_id"), user: try row.text("name"), grantedBy: try row.text("granted_by"),
                grantedAt: Date(millisecondsSince1970: try row.integer("granted_at_ms"))))
        }
    }
}
