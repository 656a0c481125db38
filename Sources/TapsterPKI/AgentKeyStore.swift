import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// An agent's key material, kept in a directory (mode 0700, every file 0600).
///
/// - `agent-key.pem`: the agent's P-256 private key, made once and kept for good.
/// - `bootstrap.pem`: a self-signed certificate for that key (common name = agent name, valid one day),
///   presented when enrolling; made anew when missing, expired, about to expire or naming another agent.
/// - `agent.pem` and `ca.pem`: after enrolment, the certificate the server's CA issued for the key, and the
///   CA certificate, the only root the agent trusts for the server from then on.
public struct AgentKeyStore: Sendable {
    /// The private key's file name.
    public static let keyFileName = "agent-key.pem"
    /// The bootstrap certificate's file name.
    public static let bootstrapCertificateFileName = "bootstrap.pem"
    /// The issued certificate's file name.
    public static let certificateFileName = "agent.pem"
    /// The server CA certificate's file name.
    public static let caCertificateFileName = "ca.pem"
    /// How long a bootstrap certificate is valid.
    public static let bootstrapValidity: TimeInterval = 86_400
    /// A bootstrap certificate with less time than this left is made anew.
    static let bootstrapRenewalMargin: TimeInterval = 3_600

    /// Where the files are.
    public let directory: URL
    /// The agent's name, the bootstrap certificate's common name.
    public let agentName: String
    /// The agent's public key, certified by both the bootstrap and the issued certificate.
    public var publicKey: Certificate.PublicKey { bootstrapCertificate.publicKey }
    /// The self-signed certificate presented for enrolment.
    public let bootstrapCertificate: Certificate
    /// The enrolment, if the agent has enrolled (read from `agent.pem` and `ca.pem`).
    public private(set) var enrolled: EnrolledIdentity?
    let privateKeyPEM: String

    /// The bootstrap certificate and the private key, to present when enrolling.
    public var bootstrapCredential: TLSCredential {
        TLSCredential(certificateChainPEM: [bootstrapCertificate.pemString], privateKeyPEM: privateKeyPEM)
    }

    /// The issued certificate and the private key, to present after enrolment; nil before.
    public var enrolledCredential: TLSCredential? {
        enrolled.map { TLSCredential(certificateChainPEM: [$0.certificatePEM], privateKeyPEM: privateKeyPEM) }
    }

    /// Loads the agent's key material from `directory`, making what is missing: the directory, the key, a
    /// bootstrap certificate valid at `now` for at least another hour. Call it again before each enrolment
    /// attempt, so that the bootstrap certificate is fresh.
    ///
    /// Throws if an enrolment exists for another key (the key file was lost) or its files are incomplete.
    public static func loadOrCreate(in directory: URL, agentName: String, now: Date = Date()) throws(PKIError)
        -> AgentKeyStore
    {
        try CertificateAuthority.validate(commonName: agentName)
        try PrivateFiles.ensureDirectory(directory)
        let keyURL = directory.appendingPathComponent(keyFileName)
        let bootstrapURL = directory.appendingPathComponent(bootstrapCertificateFileName)
        let certificateURL = directory.appendingPathComponent(certificateFileName)
        let caURL = directory.appendingPathComponent(caCertificateFileName)

        let key: P256.Signing.PrivateKey
        if let keyPEM = try PrivateFiles.read(keyURL) {
            do {
                key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            } catch {
                throw .invalidPEM(source: keyURL.path, reason: "not a P-256 private key (\(error))")
            }
        } else {
            if PrivateFiles.exists(certificateURL) {
                throw .incompleteFiles(present: certificateURL.path, missing: keyURL.path)
            }
            key = P256.Signing.PrivateKey()
            try PrivateFiles.write(key.pemRepresentation, to: keyURL)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)

        var bootstrap: Certificate?
        if let pem = try PrivateFiles.read(bootstrapURL), let existing = try? Certificate(pemEncoded: pem),
            existing.publicKey == publicKey, existing.commonName == agentName, existing.isSelfSigned,
            existing.isValid(at: now), existing.notValidAfter >= now + bootstrapRenewalMargin
        {
            bootstrap = existing
        }
        if bootstrap == nil {
            let fresh = try makeBootstrapCertificate(key: key, agentName: agentName, now: now)
            try PrivateFiles.write(fresh.pemString, to: bootstrapURL)
            bootstrap = fresh
        }

        var enrolled: EnrolledIdentity?
        switch (try PrivateFiles.read(certificateURL), try PrivateFiles.read(caURL)) {
        case (let certificatePEM?, let caPEM?):
            do {
                enrolled = try EnrolledIdentity(
                    certificatePEM: certificatePEM, caCertificatePEM: caPEM, publicKey: publicKey,
                    certificateSource: certificateURL.path, caSource: caURL.path)
            } catch {
                if case .enrolmentRejected(let reason) = error {
                    throw .invalidPEM(source: certificateURL.path, reason: reason)
                }
                throw error
            }
        case (nil, nil):
            enrolled = nil
        case (.some, nil):
            throw .incompleteFiles(present: certificateURL.path, missing: caURL.path)
        case (nil, .some):
            throw .incompleteFiles(present: caURL.path, missing: certificateURL.path)
        }

        return AgentKeyStore(
            directory: directory, agentName: agentName, bootstrapCertificate: bootstrap!, enrolled: enrolled,
            privateKeyPEM: key.pemRepresentation)
    }

    private init(
        directory: URL, agentName: String, bootstrapCertificate: Certificate, enrolled: EnrolledIdentity?,
        privateKeyPEM: String
    ) {
        self.directory = directory
        self.agentName = agentName
        self.bootstrapCertificate = bootstrapCertificate
        self.enrolled = enrolled
        self.privateKeyPEM = privateKeyPEM
    }

    /// Stores what the server answered to Enroll, after checking that the certificate was issued by that CA
    /// for this agent's key and allows client authentication, and, when `expectedCAFingerprint` is given (the
    /// join token's), that the CA certificate is the one the agent pinned.
    public mutating func saveEnrolment(
        certificatePEM: String, caCertificatePEM: String, expectedCAFingerprint: CertificateFingerprint? = nil
    ) throws(PKIError) {
        let identity = try EnrolledIdentity(
            certificatePEM: certificatePEM, caCertificatePEM: caCertificatePEM, publicKey: publicKey,
            certificateSource: "the enrolment's certificate", caSource: "the enrolment's CA certificate")
        if let expected = expectedCAFingerprint, identity.caFingerprint != expected {
            throw .enrolmentRejected(
                reason: "the enrolment's CA certificate has fingerprint \(identity.caFingerprint), not the pinned \(expected)")
        }
        // The CA first: `agent.pem` present means enrolled.
        try PrivateFiles.write(identity.caCertificatePEM, to: directory.appendingPathComponent(Self.caCertificateFileName))
        try PrivateFiles.write(identity.certificatePEM, to: directory.appendingPathComponent(Self.certificateFileName))
        enrolled = identity
    }

    /// Deletes the enrolment (issued certificate and CA certificate), so that the agent enrols again.
    /// The key stays.
    public mutating func forget() throws(PKIError) {
        try PrivateFiles.remove(directory.appendingPathComponent(Self.certificateFileName))
        try PrivateFiles.remove(directory.appendingPathComponent(Self.caCertificateFileName))
        enrolled = nil
    }

    private static func makeBootstrapCertificate(
        key: P256.Signing.PrivateKey, agentName: String, now: Date
    ) throws(PKIError) -> Certificate {
        let signingKey = Certificate.PrivateKey(key)
        do {
            let name = try DistinguishedName { CommonName(agentName) }
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: signingKey.publicKey,
                notValidBefore: now - CertificateAuthority.backdating,
                notValidAfter: now + bootstrapValidity,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.clientAuth])
                },
                issuerPrivateKey: signingKey
            )
        } catch {
            throw .certificateCreationFailed(what: "the bootstrap certificate of agent '\(agentName)'", reason: "\(error)")
        }
    }
}
