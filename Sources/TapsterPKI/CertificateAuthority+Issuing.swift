import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension CertificateAuthority {
    /// How long a server certificate is valid: one year.
    public static let serverCertificateValidity: TimeInterval = 365 * 86_400
    /// How long an agent certificate is valid unless the caller says otherwise: one year.
    public static let agentCertificateValidity: TimeInterval = 365 * 86_400

    /// Issues the server's TLS certificate for the agent channel, for a fresh P-256 key.
    ///
    /// The certificate names `dnsNames` and `ipAddresses` as subject alternative names, allows server
    /// authentication only, and is valid for a year from `now`. The credential's chain is the server
    /// certificate followed by the CA certificate, so an agent that pins the CA's fingerprint finds it in the
    /// handshake.
    public func issueServerCertificate(
        dnsNames: [String], ipAddresses: [String], now: Date = Date()
    ) throws(PKIError) -> TLSCredential {
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            names.append(.ipAddress(ASN1OctetString(contentBytes: try Self.addressBytes(address)[...])))
        }
        let commonName = dnsNames.first ?? ipAddresses.first ?? "tapster server"
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try sign(
            what: "the server certificate", commonName: commonName, publicKey: key.publicKey,
            notValidBefore: now - Self.backdating, notValidAfter: now + Self.serverCertificateValidity,
            usage: .serverAuth, alternativeNames: names)
        return TLSCredential(
            certificateChainPEM: [certificate.pemString, certificatePEM],
            privateKeyPEM: try Self.pem(of: key, path: "the server's private key"))
    }

    /// Issues an agent's client certificate for `publicKey` (the key of its bootstrap certificate).
    ///
    /// The subject's common name is `name`, the serial number random, the certificate allows client
    /// authentication only and is valid from `now` for `validity`. The CA does not check that the agent holds
    /// the private key: the TLS handshake in which it presented the bootstrap certificate proved that.
    public func issueAgentCertificate(
        name: String, publicKey: Certificate.PublicKey, now: Date = Date(),
        validity: TimeInterval = CertificateAuthority.agentCertificateValidity
    ) throws(PKIError) -> IssuedCertificate {
        try Self.validate(commonName: name)
        let certificate = try sign(
            what: "the certificate of agent '\(name)'", commonName: name, publicKey: publicKey,
            notValidBefore: now - Self.backdating, notValidAfter: now + validity, usage: .clientAuth,
            alternativeNames: [])
        return IssuedCertificate(certificate: certificate)
    }

    private func sign(
        what: String, commonName: String, publicKey: Certificate.PublicKey, notValidBefore: Date,
        notValidAfter: Date, usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName]
    ) throws(PKIError) -> Certificate {
        do {
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: keyIdentifier)
                if !alternativeNames.isEmpty {
                    SubjectAlternativeNames(alternativeNames)
                }
            }
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: notValidBefore,
                notValidAfter: notValidAfter,
                issuer: certificate.subject,
                subject: try DistinguishedName { CommonName(commonName) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: signingKey
            )
        } catch {
            throw .certificateCreationFailed(what: what, reason: "\(error)")
        }
    }

    /// Rejects names that cannot be a common name: empty, longer than 64 characters, or with control characters.
    static func validate(commonName name: String) throws(PKIError) {
        if name.isEmpty { throw .invalidName(name, reason: "it is empty") }
        if name.count > 64 { throw .invalidName(name, reason: "it has \(name.count) characters, at most 64 fit") }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalidName(name, reason: "it contains control characters")
        }
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text form.
    static func addressBytes(_ text: String) throws(PKIError) -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        throw .invalidIPAddress(text)
    }
}
