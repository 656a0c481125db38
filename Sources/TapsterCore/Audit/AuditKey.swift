import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The secret the audit chain is keyed with: each event's hash is an HMAC-SHA-256 under it, so that
/// someone who can write the database but not read this key cannot rewrite events and re-chain them.
///
/// The key is kept outside the database (a file in the server's data directory, or one named by
/// `TAPSTER_AUDIT_KEY_FILE`). A log begun before the server had a key keeps its first events as they
/// were sealed (plain SHA-256); ``keyedFrom`` — kept with the key, not in the database — says where
/// keyed events begin, so that no event from there on can be passed off as an unkeyed one.
public struct AuditKey: Sendable, Equatable {
    /// 32 random bytes.
    public let secret: Data
    /// The sequence number of the first event sealed with this key.
    public let keyedFrom: Int64

    public init(secret: Data, keyedFrom: Int64) throws(TapsterError) {
        guard secret.count >= 32 else { throw TapsterError.invalid("audit_key", "must be at least 32 bytes (\(secret.count) given)") }
        guard keyedFrom >= 1 else { throw TapsterError.invalid("audit_key", "keyed_from must be at least 1") }
        self.secret = secret
        self.keyedFrom = keyedFrom
    }

    /// A new random key for a log whose next event is `keyedFrom`.
    public static func generate(keyedFrom: Int64) -> AuditKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        // A fresh 32-byte secret and a sequence of at least 1 are always valid.
        return try! AuditKey(secret: bytes, keyedFrom: max(1, keyedFrom))
    }

    /// Whether event `sequence` is sealed with this key.
    public func seals(_ sequence: Int64) -> Bool { sequence >= keyedFrom }

    /// HMAC-SHA-256 (hex) of `data`.
    func mac(_ data: Data) -> String {
        HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: secret)).lowercaseHex
    }

    // MARK: The key file

    /// The key file's text: `tapster-audit-key v1`, then `keyed_from N`, then the secret in base64.
    public var fileText: String {
        "tapster-audit-key v1\nkeyed_from \(keyedFrom)\n\(secret.base64EncodedString())\n"
    }

    /// Reads ``fileText``.
    public init(fileText: String) throws(TapsterError) {
        let lines = fileText.split(whereSeparator: \.isNewline).map { $0.trimming(.whitespaces) }
        guard lines.count == 3, lines[0] == "tapster-audit-key v1", lines[1].hasPrefix("keyed_from "),
              let from = Int64(lines[1].dropFirst("keyed_from ".count)), let secret = Data(base64Encoded: lines[2]) else {
            throw TapsterError.invalid("audit_key", "not a Tapster audit key file (tapster-audit-key v1, keyed_from N, base64 secret)")
        }
        try self.init(secret: secret, keyedFrom: from)
    }
}
