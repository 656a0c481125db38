import Foundation
import SQLKit
import TapsterCore

/// API tokens: plain columns, found by the SHA-256 of their secret.
extension SQLSession {
    func insertToken(_ token: APIToken, secretHash: String) async throws {
        try await perform("insert token", conflict: { .alreadyExists("token", token.name) }) {
            try await execute("""
                INSERT INTO api_tokens (id, user_id, name, secret_hash, created_at_ms, expires_at_ms, last_used_at_ms, scope)
                VALUES (\(bind: token.id), \(bind: token.userId), \(bind: token.name), \(bind: secretHash),
                        \(bind: token.createdAt.millisecondsSince1970), \(nullable(token.expiresAt?.millisecondsSince1970)),
                        \(nullable(token.lastUsedAt?.millisecondsSince1970)), \(nullable(token.scope?.rawValue)))
                """)
        }
    }

    func listTokens(userID: String) async throws -> [APIToken] {
        try await perform("list tokens") {
            try await rows("""
                SELECT \(SQLSession.tokenColumns) FROM api_tokens WHERE user_id = \(bind: userID)
                ORDER BY created_at_ms, \(dialect.byteOrder("id"))
                """).map(SQLSession.token)
        }
    }

    func deleteToken(id: String, userID: String) async throws -> Bool {
        try await perform("delete token") {
            try await row("DELETE FROM api_tokens WHERE id = \(bind: id) AND user_id = \(bind: userID) RETURNING id") != nil
        }
    }

    /// Revokes every token of the user except `keeping` (the one making the request); returns how many.
    func deleteTokens(userID: String, keeping: String?) async throws -> Int {
        try await perform("delete tokens") {
            var sql: SQLQueryString = "DELETE FROM api_tokens WHERE user_id = \(bind: userID)"
            if let keeping { sql += " AND id <> \(bind: keeping)" }
            return try await rows(sql + " RETURNING id").count
        }
    }

    /// Deletes every token (and so every portal session) that expired at or before `time`; returns how many.
    func purgeExpiredTokens(at time: Date) async throws -> Int {
        try await perform("purge expired tokens") {
            try await rows("""
                DELETE FROM api_tokens WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= \(bind: time.millisecondsSince1970)
                RETURNING id
                """).count
        }
    }

    func findToken(secretHash: String) async throws -> (token: APIToken, user: User)? {
        try await perform("find token") {
            try await row("""
                SELECT \(SQLSession.tokenColumns), users.body AS user_body
                FROM api_tokens JOIN users ON users.id = api_tokens.user_id
                WHERE api_tokens.secret_hash = \(bind: secretHash)
                """).map { (token: try SQLSession.token($0), user: try $0.body(User.self, column: "user_body")) }
        }
    }

    func touchToken(id: String, at: Date) async throws {
        try await perform("touch token") {
            try await execute("UPDATE api_tokens SET last_used_at_ms = \(bind: at.millisecondsSince1970) WHERE id = \(bind: id)")
        }
    }

    private static let tokenColumns: SQLQueryString = """
        api_tokens.id, api_tokens.user_id, api_tokens.name, api_tokens.created_at_ms, \
        api_tokens.expires_at_ms, api_tokens.last_used_at_ms, api_tokens.scope
        """

    private static func token(_ row: any SQLRow) throws -> APIToken {
        APIToken(id: try row.text("id"), userId: try row.text("user_id"), name: try row.text("name"),
                 createdAt: Date(millisecondsSince1970: try row.integer("created_at_ms")),
                 expiresAt: try row.optionalInteger("expires_at_ms").map(Date.init(millisecondsSince1970:)),
                 lastUsedAt: try row.optionalInteger("last_used_at_ms").map(Date.init(millisecondsSince1970:)),
                 scope: try row.optionalText("scope").flatMap(TokenScope.init(rawValue:)))
    }
}
