import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The server's certificate authority: a P-256 key and a self-signed CA certificate kept in a directory.
///
/// It certifies the server's TLS key for the agent channel and the bootstrap keys of agents that enrol.
/// Agents pin its certificate (by fingerprint in the join token, then by the certificate itself).
public struct CertificateAuthority: Sendable {
    /// The file name of the CA certificate (PEM) in the authority's directory.
    public static let certificateFileName = "ca.pem"
    /// The file name of the CA's private key (PKCS#8 PEM, mode 0600) in the authority's directory.
    public static let keyFileName = "ca-key.pem"
    /// How long a new CA certificate is valid: 10 years.
    public static let validity: TimeInterval = 10 * 365 * 86_400
    /// How far back the validity of every certificate made here starts, so that a peer whose clock is
    /// somewhat behind still accepts it.
    static let backdating: TimeInterval = 3_600

    /// The CA certificate.
    public let certificate: Certificate
    /// The CA certificate as PEM, what agents receive at enrolment and trust afterwards.
    public let certificatePEM: String
    /// The SHA-256 fingerprint of the CA certificate, what join tokens carry.
    public let fingerprint: CertificateFingerprint
    let signingKey: Certificate.PrivateKey
    let keyIdentifier: ArraySlice<UInt8>

    init(certificate: Certificate, signingKey: Certificate.PrivateKey) {
        self.certificate = certificate
        self.certificatePEM = certificate.pemString
        self.fingerprint = CertificateFingerprint(certificate)
        self.signingKey = signingKey
        self.keyIdentifier = SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }

    /// Loads the authority from `directory`, or creates it there on first use (the directory too, mode 0700).
    ///
    /// A new authority gets a fresh P-256 key (`ca-key.pem`, mode 0600) and a self-signed certificate
    /// (`ca.pem`) valid for 10 years from `now`, marked as a CA that may sign certificates. Later calls load the
    /// same files and so return the same certificate. If only one of the two files exists, or the key does not
    /// belong to the certificate, this throws rather than replace anything: agents trust the existing CA.
    public static func loadOrCreate(in directory: URL, now: Date = Date()) throws(PKIError) -> CertificateAuthority {
        try PrivateFiles.ensureDirectory(directory)
        let certificateURL = directory.appendingPathComponent(certificateFileName)
        let keyURL = directory.appendingPathComponent(keyFileName)
        switch (PrivateFiles.exists(certificateURL), PrivateFiles.exists(keyURL)) {
        case (true, true):
            return try load(certificateURL: certificateURL, keyURL: keyURL)
        case (false, false):
            let authority = try create(now: now)
            // The key first: a certificate without its key would be useless, a key without certificate is redone.
            try PrivateFiles.write(try Self.pem(of: authority.signingKey, path: keyURL.path), to: keyURL)
            try PrivateFiles.write(authority.certificatePEM, to: certificateURL)
            return authority
        case (true, false):
            throw .incompleteFiles(present: certificateURL.path, missing: keyURL.path)
        case (false, true):
            throw .incompleteFiles(present: keyURL.path, missing: certificateURL.path)
        }
    }

    /// Whether this authority issued `certificate` and `date` lies within its validity and the CA's:
    /// the issuer is the CA's name and the CA's key verifies the signature.
    public func isIssuer(of certificate: Certificate, at date: Date) -> Bool {
        self.certificate.isValid(at: date) && certificate.isValid(at: date) && certificate.isSigned(by: self.certificate)
    }

    private static func load(certificateURL: URL, keyURL: URL) throws(PKIError) -> CertificateAuthority {
        let certificatePEM = try PrivateFiles.read(certificateURL) ?? ""
        let keyPEM = try PrivateFiles.read(keyURL) ?? ""
        let certificate = try Certificate.parse(pem: certificatePEM, source: certificateURL.path)
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw .invalidPEM(source: keyURL.path, reason: "not a P-256 private key (\(error))")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw .keyDoesNotMatchCertificate(keyPath: keyURL.path, certificatePath: certificateURL.path)
        }
        guard certificate.isCertificateAuthority, certificate.isSelfSigned else {
            throw .invalidPEM(source: certificateURL.path, reason: "not a self-signed CA certificate")
        }
        return CertificateAuthority(certificate: certificate, signingKey: Certificate.PrivateKey(key))
    }

    private static func create(now: Date) throws(PKIError) -> CertificateAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let suffix = Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255) })
        do {
            let name = try DistinguishedName {
                OrganizationName("Tapster")
                CommonName("Tapster agent CA \(suffix)")
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: key.publicKey,
                notValidBefore: now - backdating,
                notValidAfter: now + validity,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: key.publicKey)
                },
                issuerPrivateKey: key
            )
            return CertificateAuthority(certificate: certificate, signingKey: key)
        } catch {
            throw .certificateCreationFailed(what: "the CA certificate", reason: "\(error)")
        }
    }

    static func pem(of key: Certificate.PrivateKey, path: String) throws(PKIError) -> String {
        do {
            return try key.serializeAsPEM().pemString
        } catch {
            throw .cannotWrite(path: path, reason: "the private key does not serialise (\(error))")
        }
    }
}
