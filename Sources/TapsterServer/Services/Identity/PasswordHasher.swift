import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import TapsterCore

/// Hashes and checks passwords with bcrypt, and mints API tokens (stored as SHA-256).
///
/// bcrypt is deliberately slow, so it runs on NIO's blocking thread pool, never on Swift's
/// cooperative pool.
struct PasswordHasher: Sendable {
    /// bcrypt's work factor in production.
    static let defaultCost: UInt8 = 11
    static let minimumLength = 8

    /// The work factor new hashes get (tests use bcrypt's minimum, 4, to stay fast on 2 cores).
    let cost: UInt8

    init(cost: UInt8 = PasswordHasher.defaultCost) {
        self.cost = cost
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// bcrypt reads at most 72 bytes of a password and ignores the rest: a longer one would match any
    /// password sharing its first 72 bytes. The limit is in UTF-8 bytes, not characters.
    static let maximumBytes = 72

    func validate(_ password: String) throws(TapsterError) {
        guard password.count >= Self.minimumLength else {
            throw TapsterError.invalid("password", "must be at least \(Self.minimumLength) characters")
        }
        guard password.utf8.count <= Self.maximumBytes else {
            throw TapsterError.invalid("password", "must be at most \(Self.maximumBytes) bytes in UTF-8 (\(password.utf8.count) given)")
        }
    }

    /// Spends as long as checking a password against a stored hash, for a user who does not exist or
    /// has no password: a login's answer then takes as long whether the name is known or not.
    func verifyNothing(_ password: String) async throws {
        _ = try await hash(String(password.utf8.prefix(Self.maximumBytes)) ?? "-")
    }

    /// A new random secret: `tap_` and 43 base64url characters (256 bits).
    static func newTokenSecret() -> String {
        "tap_" + randomBase64URL(bytes: 32)
    }

    /// A random password for a first admin: 20 base64url characters.
    static func newOneTimePassword() -> String {
        randomBase64URL(bytes: 15)
    }

    /// How a token secret is stored: hex SHA-256.
    static func tokenHash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func randomBase64URL(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
