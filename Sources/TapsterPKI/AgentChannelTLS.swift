#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCNIOTransportHTTP2
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The mutual-TLS set-up of the agent channel, for both ends.
///
/// The server presents a certificate issued by its CA and demands a client certificate: one its CA issued
/// (not revoked), or a self-signed bootstrap certificate, which the service admits to Enroll only (see
/// ``AgentPeer``). The agent authenticates the server by its CA alone, never by host name: agents reach the
/// server by whatever address they are given, and the CA (pinned by fingerprint, or held after enrolment) is
/// what proves they reached the right server. Both ends refuse a wrong chain in the handshake itself, so the
/// other never gets to send a request.
public enum AgentChannelTLS {
    /// Called with the reason whenever a handshake is refused. Runs on a network thread: keep it short, never block.
    public typealias RejectionHandler = @Sendable (HandshakeRejection) -> Void

    /// The server's transport security: presents `credential` (from
    /// ``CertificateAuthority/issueServerCertificate(dnsNames:ipAddresses:now:)``), requires a client certificate
    /// and accepts only (a) a chain whose leaf `authority` issued, valid now, for client authentication, with a
    /// serial not in `revocations` (consulted at every handshake), or (b) a single valid self-signed certificate
    /// (a bootstrap certificate). Refused handshakes are reported to `onRejection`.
    public static func server(
        credential: TLSCredential, authority: CertificateAuthority, revocations: RevocationList,
        onRejection: @escaping RejectionHandler = { _ in }
    ) throws(PKIError) -> HTTP2ServerTransport.Posix.TransportSecurity {
        try check(credential, role: "server")
        let authorityCertificate = authority.certificate
        let authorityForChain = try nioCertificate(authorityCertificate, role: "the CA certificate")
        let policy = AgentChainPolicy(authority: authorityCertificate, revocations: revocations)
        return .mTLS(certificateChain: credential.certificateSources, privateKey: credential.privateKeySource) {
            config in
            config.clientCertificateVerification = .noHostnameVerification
            config.trustRoots = .certificates([.bytes(Array(authority.certificatePEM.utf8), format: .pem)])
            config.customVerificationCallback = { presented, promise in
                let verdict = parse(presented).flatMap { policy.evaluate($0, at: Date()) }
                switch verdict {
                case .success(.issued):
                    promise.succeed(.certificateVerified(.init(.init([presented[0], authorityForChain]))))
                case .success(.bootstrap):
                    promise.succeed(.certificateVerified(.init(.init([presented[0]]))))
                case .failure(let rejection):
                    onRejection(rejection)
                    promise.succeed(.failed)
                }
            }
        }
    }

    /// The agent's transport security: presents `identity` and accepts the server only if its chain satisfies
    /// `trust` (see ``ServerTrust``): its leaf issued by the trusted CA, both valid now, for server
    /// authentication. The server's host name is deliberately not verified: the CA authenticates the server.
    /// Refused handshakes are reported to `onRejection`.
    public static func client(
        identity: ClientIdentity, trust: ServerTrust, onRejection: @escaping RejectionHandler = { _ in }
    ) throws(PKIError) -> HTTP2ClientTransport.Posix.TransportSecurity {
        try check(identity.credential, role: "agent")
        let policy = try ServerChainPolicy(trust: trust)
        let trustRoots: TLSConfig.TrustRootsSource
        if case .ca(let pem) = trust {
            trustRoots = .certificates([.bytes(Array(pem.utf8), format: .pem)])
        } else {
            trustRoots = .certificates([])
        }
        return .mTLS(
            certificateChain: identity.credential.certificateSources,
            privateKey: identity.credential.privateKeySource
        ) { config in
            config.serverCertificateVerification = .noHostnameVerification
            config.trustRoots = trustRoots
            config.customVerificationCallback = { presented, promise in
                let verdict = parse(presented).flatMap { certificates in
                    policy.evaluate(certificates, at: Date()).flatMap { authority in
                        Result { try nioCertificate(authority, role: "the server's CA certificate") }
                            .mapError { .malformedCertificate(reason: "\($0)") }
                    }
                }
                switch verdict {
                case .success(let authority):
                    promise.succeed(.certificateVerified(.init(.init([presented[0], authority]))))
                case .failure(let rejection):
                    onRejection(rejection)
                    promise.succeed(.failed)
                }
            }
        }
    }

    /// Checks that the credential's PEM texts are what TLS needs, so that a bad file fails here and not at the
    /// first connection.
    private static func check(_ credential: TLSCredential, role: String) throws(PKIError) {
        guard !credential.certificateChainPEM.isEmpty else {
            throw .invalidPEM(source: "the \(role)'s certificate chain", reason: "it is empty")
        }
        for (index, pem) in credential.certificateChainPEM.enumerated() {
            do {
                _ = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
            } catch {
                throw .invalidPEM(source: "certificate \(index + 1) of the \(role)'s chain", reason: "\(error)")
            }
        }
        do {
            _ = try NIOSSLPrivateKey(bytes: Array(credential.privateKeyPEM.utf8), format: .pem)
        } catch {
            throw .invalidPEM(source: "the \(role)'s private key", reason: "\(error)")
        }
    }

    private static func nioCertificate(_ certificate: Certificate, role: String) throws(PKIError) -> NIOSSLCertificate {
        do {
            return try NIOSSLCertificate(bytes: certificate.derBytes, format: .der)
        } catch {
            throw .invalidPEM(source: role, reason: "\(error)")
        }
    }

    /// The presented certificates as X.509 values, or which one does not parse.
    private static func parse(_ presented: [NIOSSLCertificate]) -> Result<[Certificate], HandshakeRejection> {
        var certificates: [Certificate] = []
        for (index, certificate) in presented.enumerated() {
            do {
                certificates.append(try Certificate(derEncoded: certificate.toDERBytes()))
            } catch {
                return .failure(.malformedCertificate(reason: "certificate \(index + 1) of the chain: \(error)"))
            }
        }
        return .success(certificates)
    }
}
