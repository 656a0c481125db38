#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import X509

/// A client certificate the CA issued to an agent.
public struct IssuedCertificate: Hashable, Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// The certificate as PEM, what the agent receives.
    public let pem: String
    /// The serial number as lower-case hex (two digits a byte, no separators): how revocation names it.
    public let serial: String

    init(certificate: Certificate) {
        self.certificate = certificate
        self.pem = certificate.pemString
        self.serial = certificate.serialHex
    }

    /// When the certificate stops being valid.
    public var notValidAfter: Date { certificate.notValidAfter }
}
