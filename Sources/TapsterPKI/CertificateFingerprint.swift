import Crypto
import X509

/// The SHA-256 digest of a certificate's DER encoding, written `sha256:<64 lower-case hex digits>`.
///
/// Join tokens carry the fingerprint of the server's CA certificate so that an agent can authenticate
/// the server at first contact, before it holds the CA certificate itself.
public struct CertificateFingerprint: Hashable, Sendable, LosslessStringConvertible {
    /// The 32 bytes of the digest.
    public let bytes: [UInt8]

    /// The fingerprint of `certificate`.
    public init(_ certificate: Certificate) {
        self.init(derBytes: certificate.derBytes)
    }

    /// The fingerprint of the certificate whose DER encoding is `derBytes`.
    public init(derBytes: some Sequence<UInt8>) {
        self.bytes = Array(SHA256.hash(data: Array(derBytes)))
    }

    /// Parses `sha256:<64 lower-case hex digits>`, or the bare 64 digits, throwing what is wrong.
    public init(parsing text: String) throws(PKIError) {
        var digits = Substring(text)
        if digits.hasPrefix("sha256:") { digits = digits.dropFirst("sha256:".count) }
        guard digits.utf8.count == 64 else {
            throw .malformedFingerprint(text: text, reason: "has \(digits.utf8.count) hex digits, expected 64")
        }
        guard let bytes = Hex.decode(digits) else {
            throw .malformedFingerprint(text: text, reason: "contains characters other than 0-9 and a-f")
        }
        self.bytes = bytes
    }

    /// Parses `sha256:<64 lower-case hex digits>`; nil for anything else.
    public init?(_ description: String) {
        guard description.hasPrefix("sha256:"), let parsed = try? Self(parsing: description) else { return nil }
        self = parsed
    }

    /// The 64 lower-case hex digits, without the `sha256:` prefix.
    public var hex: String { Hex.encode(bytes) }

    /// `sha256:<64 lower-case hex digits>`.
    public var description: String { "sha256:" + hex }
}
