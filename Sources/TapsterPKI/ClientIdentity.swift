#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What an agent presents in the TLS handshake: its bootstrap certificate (to enrol) or the certificate the
/// server's CA issued (afterwards), with its private key.
public struct ClientIdentity: Hashable, Sendable {
    /// The certificate chain and key presented.
    public let credential: TLSCredential

    /// Presents `credential` as it is.
    public init(credential: TLSCredential) {
        self.credential = credential
    }

    /// The self-signed bootstrap certificate of `store`, good only for Enroll.
    public static func bootstrap(_ store: AgentKeyStore) -> ClientIdentity {
        ClientIdentity(credential: store.bootstrapCredential)
    }

    /// The issued certificate of `store`; throws ``PKIError/notEnrolled(directory:)`` before enrolment.
    public static func enrolled(_ store: AgentKeyStore) throws(PKIError) -> ClientIdentity {
        guard let credential = store.enrolledCredential else { throw .notEnrolled(directory: store.directory.path) }
        return ClientIdentity(credential: credential)
    }
}
