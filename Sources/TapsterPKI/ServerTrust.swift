#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How an agent authenticates the server in the TLS handshake. Host names are never checked (agents may
/// reach the server by any address); the server is authenticated by its CA alone.
public enum ServerTrust: Hashable, Sendable {
    /// First contact: the chain the server presents must contain a certificate with this fingerprint (from
    /// the join token), and that certificate must have issued the server's certificate.
    case pinnedCA(CertificateFingerprint)
    /// After enrolment: the server's certificate must have been issued by this CA certificate (PEM).
    case ca(pem: String)
}

extension ServerTrust {
    /// The CA certificate `store` received at enrolment; throws ``PKIError/notEnrolled(directory:)`` before.
    public static func enrolled(_ store: AgentKeyStore) throws(PKIError) -> ServerTrust {
        guard let enrolled = store.enrolled else { throw .notEnrolled(directory: store.directory.path) }
        return .ca(pem: enrolled.caCertificatePEM)
    }
}
