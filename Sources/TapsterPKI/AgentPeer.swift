#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import X509

/// Who called an agent-channel RPC, as the TLS handshake established it.
///
/// Handlers use it to admit a bootstrap certificate to Enroll only, and to know which agent an enrolled
/// caller is.
public enum AgentPeer: Hashable, Sendable {
    /// An enrolled agent: the common name and serial (lower-case hex) of the certificate the CA issued to it.
    case enrolled(name: String, serial: String)
    /// An agent that is enrolling, with the public key of its self-signed bootstrap certificate, the key the
    /// CA certifies.
    case bootstrap(publicKey: Certificate.PublicKey)

    /// Identifies the caller of the RPC with `context` from the certificate it presented in the handshake
    /// (available when the server uses ``AgentChannelTLS/server(credential:authority:revocations:onRejection:)``):
    /// enrolled if `authority` issued it (valid at `now`, for client authentication, and not in `revocations`
    /// when given), bootstrap if it is a valid self-signed certificate that is no CA's, nil otherwise (no TLS,
    /// no certificate, or none acceptable).
    public static func identify(
        _ context: ServerContext, authority: CertificateAuthority, revocations: RevocationList? = nil,
        now: Date = Date()
    ) -> AgentPeer? {
        guard let transport = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
            let leaf = transport.peerCertificateChain?.leaf ?? transport.peerCertificate
        else { return nil }
        return identify(leaf, authority: authority, revocations: revocations, now: now)
    }

    /// Identifies the holder of `certificate` as ``identify(_:authority:revocations:now:)`` does.
    public static func identify(
        _ certificate: Certificate, authority: CertificateAuthority, revocations: RevocationList? = nil,
        now: Date = Date()
    ) -> AgentPeer? {
        if authority.isIssuer(of: certificate, at: now) {
            guard certificate.allows(.clientAuth), !certificate.isCertificateAuthority,
                let name = certificate.commonName,
                revocations?.contains(serial: certificate.serialHex) != true
            else { return nil }
            return .enrolled(name: name, serial: certificate.serialHex)
        }
        if certificate.isSelfSigned, certificate.isValid(at: now), !certificate.isCertificateAuthority {
            return .bootstrap(publicKey: certificate.publicKey)
        }
        return nil
    }
}
