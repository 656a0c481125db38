import Foundation
import SQLKit
import TapsterCore

/// Agent join tokens (plain columns; the secret only as its hash) and revoked certificate serials.
extension SQLSession {
    func insertAgentJoinToken(_ token: AgentJoinToken, secretHash: String) async throws {
        try await perform("insert agent join token", conflict: { .alreadyExists("agent join token", token.id) }) {
            try await execute("""
                INSERT INTO agent_join_tokens (id, secret_hash, agent, purpose, created_by, created_at_ms, expires_at_ms, used_at_ms, used_by)
                VALUES (\(bind: token.id), \(bind: secretHash), \(nullable(token.agent)), \(nullable(token.purpose?.rawValue)),
                        \(bind: token.createdBy), \(bind: token.createdAt.millisecondsSince1970),
                        \(bind: token.expiresAt.millisecondsSince1970), \(nullable(token.usedAt?.millisecondsSince1970)),
                        \(nullable(token.usedBy)))
                """)
        }
    }

    func listAgentJoinTokens() async throws -> [AgentJoinToken] {
        try await perform("list agent join tokens") {
            try await rows("""
                SELECT \(SQLSession.joinTokenColumns) FROM agent_join_tokens ORDER BY created_at_ms, \(dialect.byteOrder("id"))
                """).map(SQLSession.joinToken)
        }
    }

    func findAgentJoinToken(id: String) async throws -> (token: AgentJoinToken, secretHash: String)? {
        try await perform("find agent join token") {
            try await row("SELECT \(SQLSession.joinTokenColumns), secret_hash FROM agent_join_tokens WHERE id = \(bind: id)")
                .map { (token: try SQLSession.joinToken($0), secretHash: try $0.text("secret_hash")) }
        }
    }

    /// Marks the token used, only if it is still unused and unexpired at `time` (compare-and-set):
    /// of two agents enrolling with one token at once, exactly one succeeds.
    func redeemAgentJoinToken(id: String, by agent: String, at time: Date) async throws -> Bool {
        try await perform("redeem agent join token") {
            try await row("""
                UPDATE agent_join_tokens SET used_at_ms = \(bind: time.millisecondsSince1970), used_by = \(bind: agent)
                WHERE id = \(bind: id) AND used_at_ms IS NULL AND expires_at_ms > \(bind: time.millisecondsSince1970)
                RETURNING id
                """) != nil
        }
    }

    func insertRevokedSerial(_ serial: String, agent: String, at time: Date) async throws {
        try await perform("record revoked certificate") {
            try await execute("""
                INSERT INTO agent_revocations (serial, agent, revoked_at_ms)
                VALUES (\(bind: serial), \(bind: agent), \(bind: time.millisecondsSince1970))
                ON CONFLICT (serial) DO NOTHING
                """)
        }
    }

    func revokedSerials() async throws -> [String] {
        try await perform("read revoked certificates") {
            try await rows("SELECT serial FROM agent_revocations ORDER BY revoked_at_ms, \(dialect.byteOrder("serial"))")
                .map { try $0.text("serial") }
        }
    }

    private static let joinTokenColumns: SQLQueryString = "id, agent, purpose, created_by, created_at_ms, expires_at_ms, used_at_ms, used_by"

    private static func joinToken(_ row: any SQLRow) throws -> AgentJoinToken {
        AgentJoinToken(id: try row.text("id"), agent: try row.optionalText("agent"),
                       purpose: try row.optionalText("purpose").flatMap(AgentJoinToken.Purpose.init(rawValue:)),
                       createdBy: try row.text("created_by"),
                       createdAt: Date(millisecondsSince1970: try row.integer("created_at_ms")),
                       expiresAt: Date(millisecondsSince1970: try row.integer("expires_at_ms")),
                       usedAt: try row.optionalInteger("used_at_ms").map(Date.init(millisecondsSince1970:)),
                       usedBy: try row.optionalText("used_by"))
    }
}
