import Foundation
import SQLKit
import TapsterCore

/// Users and their password hashes. A user's JSON is in `body`; the hash stays in its own
/// column and never leaves the store except through ``credentials(userName:)``.
extension SQLSession {
    func insertUser(_ user: User, passwordHash: String?) async throws {
        try await perform("insert user", conflict: { .alreadyExists("user", user.name) }) {
            try await execute("""
                INSERT INTO users (id, name, created_at_ms, updated_at_ms, password_hash, external_key, body)
                VALUES (\(bind: user.id), \(bind: user.name), \(bind: user.createdAt.millisecondsSince1970),
                        \(bind: user.updatedAt.millisecondsSince1970), \(nullable(passwordHash)), \(nullable(user.external?.key)),
                        \(bind: try StoredJSON.encode(user)))
                """)
        }
    }

    func updateUser(_ user: User) async throws -> Bool {
        try await perform("update user", conflict: { .alreadyExists("user", user.name) }) {
            try await row("""
                UPDATE users
                SET name = \(bind: user.name), created_at_ms = \(bind: user.createdAt.millisecondsSince1970),
                    updated_at_ms = \(bind: user.updatedAt.millisecondsSince1970), external_key = \(nullable(user.external?.key)),
                    body = \(bind: try StoredJSON.encode(user))
                WHERE id = \(bind: user.id)
                RETURNING id
                """) != nil
        }
    }

    /// Deletes the user and its API tokens.
    func deleteUser(id: String) async throws -> Bool {
        try await atomically { session in
            try await session.perform("delete user") {
                try await session.execute("DELETE FROM api_tokens WHERE user_id = \(bind: id)")
                return try await session.row("DELETE FROM users WHERE id = \(bind: id) RETURNING id") != nil
            }
        }
    }

    func findUser(_ reference: String) async throws -> User? {
        try await perform("find user") {
            try await row("""
                SELECT body FROM users
                WHERE id = \(bind: reference) OR name = \(bind: reference)
                ORDER BY CASE WHEN id = \(bind: reference) THEN 0 ELSE 1 END
                LIMIT 1
                """).map { try $0.body(User.self) }
        }
    }

    func findUser(externalKey: String) async throws -> User? {
        try await perform("find user by identity") {
            try await row("SELECT body FROM users WHERE external_key = \(bind: externalKey)").map { try $0.body(User.self) }
        }
    }

    func lockUser(id: String) async throws -> User? {
        try await perform("lock user") {
            try await row("SELECT body FROM users WHERE id = \(bind: id)\(dialect.forUpdate)").map { try $0.body(User.self) }
        }
    }

    func listUsers() async throws -> [User] {
        try await perform("list users") {
            try await rows("SELECT body FROM users ORDER BY \(dialect.byteOrder("name"))").map { try $0.body(User.self) }
        }
    }

    func credentials(userName: String) async throws -> StoredCredentials? {
        try await perform("read credentials") {
            try await row("SELECT body, password_hash FROM users WHERE name = \(bind: userName)").map {
                StoredCredentials(user: try $0.body(User.self), passwordHash: try $0.optionalText("password_hash"))
            }
        }
    }

    /// Sets the password hash and whether it must be changed; `not_found` when there is no such user.
    func setPassword(userID: String, hash: String, mustChange: Bool) async throws {
        try await atomically { session in
            try await session.perform("set password") {
                guard let stored = try await session.row("""
                    SELECT body FROM users WHERE id = \(bind: userID)\(session.dialect.forUpdate)
                    """) else {
                    throw TapsterError.notFound("user", userID)
                }
                var user = try stored.body(User.self)
                user.mustChangePassword = mustChange
                try await session.execute("""
                    UPDATE users SET password_hash = \(bind: hash), body = \(bind: try StoredJSON.encode(user))
                    WHERE id = \(bind: userID)
                    """)
            }
        }
    }
}
