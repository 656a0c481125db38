import Crypto

/// A single-use, expiring credential that lets an agent enrol, like `kubeadm join`'s token.
///
/// Its text form is `tjoin.<id>.<secret>.<ca>`: `id` is 8 and `secret` 32 characters from `a-z0-9`, `ca` the
/// 64 hex digits of the SHA-256 fingerprint of the server's CA certificate. The server stores the id and
/// ``secretHash``, never the secret; expiry and single use are the server's record of the token. The agent
/// uses ``caFingerprint`` to authenticate the server at first contact. The text form contains the secret:
/// print it only to whoever creates the token.
public struct JoinToken: Hashable, Sendable, LosslessStringConvertible {
    /// The text that starts every token.
    public static let prefix = "tjoin"
    /// Characters of ``id`` and ``secret``.
    public static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    /// The length of ``id``.
    public static let idLength = 8
    /// The length of ``secret``.
    public static let secretLength = 32

    /// Names the token (public: the server looks the token up by it).
    public let id: String
    /// Proves the bearer was given the token.
    public let secret: String
    /// The fingerprint of the server's CA certificate.
    public let caFingerprint: CertificateFingerprint

    /// A token from its parts. The parts are not validated; use ``generate(caFingerprint:)`` or
    /// ``init(parsing:)`` for tokens from outside.
    public init(id: String, secret: String, caFingerprint: CertificateFingerprint) {
        self.id = id
        self.secret = secret
        self.caFingerprint = caFingerprint
    }

    /// A new token with a random id and secret (from `SystemRandomNumberGenerator`) for the CA with `caFingerprint`.
    public static func generate(caFingerprint: CertificateFingerprint) -> JoinToken {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> String {
            String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
        }
        return JoinToken(id: random(idLength), secret: random(secretLength), caFingerprint: caFingerprint)
    }

    /// Parses `tjoin.<id>.<secret>.<ca>` (surrounding white space ignored), throwing exactly what is wrong.
    public init(parsing text: String) throws(PKIError) {
        let trimmed = text.trimmingWhitespace()
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.first == Substring(Self.prefix) else {
            throw .malformedJoinToken(reason: "it does not start with '\(Self.prefix).'")
        }
        guard parts.count == 4 else {
            throw .malformedJoinToken(
                reason: "it has \(parts.count) dot-separated parts, expected 4 (\(Self.prefix).<id>.<secret>.<ca sha256>)")
        }
        let (id, secret, ca) = (parts[1], parts[2], parts[3])
        guard id.count == Self.idLength else {
            throw .malformedJoinToken(reason: "the id '\(id)' has \(id.count) characters, expected \(Self.idLength)")
        }
        if let bad = id.first(where: { !Self.alphabet.contains($0) }) {
            throw .malformedJoinToken(reason: "the id '\(id)' contains '\(bad)', only a-z and 0-9 are allowed")
        }
        guard secret.count == Self.secretLength else {
            throw .malformedJoinToken(
                reason: "the secret has \(secret.count) characters, expected \(Self.secretLength)")
        }
        guard secret.allSatisfy({ Self.alphabet.contains($0) }) else {
            throw .malformedJoinToken(reason: "the secret contains characters other than a-z and 0-9")
        }
        guard ca.utf8.count == 64 else {
            throw .malformedJoinToken(reason: "the CA fingerprint has \(ca.utf8.count) hex digits, expected 64")
        }
        guard let fingerprint = try? CertificateFingerprint(parsing: String(ca)) else {
            throw .malformedJoinToken(reason: "the CA fingerprint contains characters other than 0-9 and a-f")
        }
        self.init(id: String(id), secret: String(secret), caFingerprint: fingerprint)
    }

    /// Parses `tjoin.<id>.<secret>.<ca>`; nil if malformed (``init(parsing:)`` says why).
    public init?(_ description: String) {
        guard let token = try? JoinToken(parsing: description) else { return nil }
        self = token
    }

    /// `tjoin.<id>.<secret>.<ca>`, secret included.
    public var description: String {
        "\(Self.prefix).\(id).\(secret).\(caFingerprint.hex)"
    }

    /// The lower-case hex SHA-256 of the secret: what the server stores and compares.
    public var secretHash: String { Self.hash(secret: secret) }

    /// The lower-case hex SHA-256 of `secret`.
    public static func hash(secret: String) -> String {
        Hex.encode(SHA256.hash(data: Array(secret.utf8)))
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex(where: { !$0.isWhitespace }) ?? endIndex
        let end = lastIndex(where: { !$0.isWhitespace }).map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
