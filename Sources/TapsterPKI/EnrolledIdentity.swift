import X509

/// What an agent holds after enrolling: the client certificate the server's CA issued for its key, and that CA's
/// certificate, the only root it trusts for the server from then on.
public struct EnrolledIdentity: Hashable, Sendable {
    /// The issued client certificate.
    public let certificate: Certificate
    /// The issued client certificate as PEM.
    public let certificatePEM: String
    /// The server's CA certificate.
    public let caCertificate: Certificate
    /// The server's CA certificate as PEM.
    public let caCertificatePEM: String

    /// The agent's name, the certificate's common name.
    public var name: String { certificate.commonName ?? "" }
    /// The certificate's serial number, lower-case hex.
    public var serial: String { certificate.serialHex }
    /// The fingerprint of the CA certificate.
    public var caFingerprint: CertificateFingerprint { CertificateFingerprint(caCertificate) }

    /// Checks that `certificatePEM` was issued by the self-signed CA in `caCertificatePEM` for `publicKey` and
    /// allows client authentication; `certificateSource` and `caSource` name where the texts came from, for errors.
    init(
        certificatePEM: String, caCertificatePEM: String, publicKey: Certificate.PublicKey,
        certificateSource: String, caSource: String
    ) throws(PKIError) {
        let certificate = try Certificate.parse(pem: certificatePEM, source: certificateSource)
        let ca = try Certificate.parse(pem: caCertificatePEM, source: caSource)
        guard ca.isCertificateAuthority, ca.isSelfSigned else {
            throw .enrolmentRejected(reason: "\(caSource) is not a self-signed CA certificate")
        }
        guard certificate.publicKey == publicKey else {
            throw .enrolmentRejected(reason: "\(certificateSource) certifies another key than this agent's")
        }
        guard certificate.isSigned(by: ca) else {
            throw .enrolmentRejected(reason: "\(certificateSource) was not issued by the CA in \(caSource)")
        }
        guard certificate.allows(.clientAuth) else {
            throw .enrolmentRejected(reason: "\(certificateSource) does not allow client authentication")
        }
        self.certificate = certificate
        self.certificatePEM = certificate.pemString
        self.caCertificate = ca
        self.caCertificatePEM = ca.pemString
    }
}
