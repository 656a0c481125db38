#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Why one side of the agent channel refused the other's certificate chain in the TLS handshake.
public enum HandshakeRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer presented no certificate.
    case noCertificate
    /// A presented certificate does not parse.
    case malformedCertificate(reason: String)
    /// The leaf is neither issued by the trusted CA nor (where allowed) a self-signed bootstrap certificate.
    case notIssuedByTrustedCA(subject: String)
    /// The server's chain lacks the CA certificate whose fingerprint the agent pinned.
    case pinnedCANotPresented(CertificateFingerprint)
    /// A certificate's validity has not begun.
    case notYetValid(subject: String, notValidBefore: Date)
    /// A certificate's validity has ended.
    case expired(subject: String, notValidAfter: Date)
    /// The agent certificate with this serial (lower-case hex) was revoked.
    case revoked(serial: String)
    /// The leaf does not allow the use it is put to (`serverAuth`, `clientAuth`).
    case missingExtendedKeyUsage(subject: String, required: String)
    /// A self-signed bootstrap certificate came with further certificates; it must come alone.
    case bootstrapChainTooLong(count: Int)
    /// The leaf is a CA certificate.
    case certificateAuthorityAsLeaf(subject: String)

    public var description: String {
        switch self {
        case .noCertificate:
            "no certificate presented"
        case .malformedCertificate(let reason):
            "malformed certificate: \(reason)"
        case .notIssuedByTrustedCA(let subject):
            "certificate '\(subject)' was not issued by the trusted CA"
        case .pinnedCANotPresented(let fingerprint):
            "the server's chain does not contain the pinned CA certificate \(fingerprint)"
        case .notYetValid(let subject, let notValidBefore):
            "certificate '\(subject)' is not valid before \(notValidBefore.formatted(.iso8601))"
        case .expired(let subject, let notValidAfter):
            "certificate '\(subject)' expired at \(notValidAfter.formatted(.iso8601))"
        case .revoked(let serial):
            "certificate with serial \(serial) is revoked"
        case .missingExtendedKeyUsage(let subject, let required):
            "certificate '\(subject)' does not allow \(required)"
        case .bootstrapChainTooLong(let count):
            "a self-signed bootstrap certificate must come alone, not in a chain of \(count)"
        case .certificateAuthorityAsLeaf(let subject):
            "certificate '\(subject)' is a CA certificate, not a peer's"
        }
    }
}
