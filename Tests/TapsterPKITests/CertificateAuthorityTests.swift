import Crypto
import Foundation
import SwiftASN1
import TapsterPKI
import Testing
import X509

@Suite("Certificate authority")
struct CertificateAuthorityTests {
    @Test("the CA is created once and reloaded identically")
    func createdOnceReloaded() async throws {
        try await withTemporaryDirectory { directory in
            let created = try CertificateAuthority.loadOrCreate(in: directory)
            let reloaded = try CertificateAuthority.loadOrCreate(in: directory)
            #expect(reloaded.fingerprint == created.fingerprint)
            #expect(reloaded.certificatePEM == created.certificatePEM)
            let onDisk = try String(contentsOf: directory.appendingPathComponent("ca.pem"), encoding: .utf8)
            #expect(onDisk == created.certificatePEM)
        }
    }

    @Test("the CA key file is readable by its owner only (0600)")
    func keyFileMode() async throws {
        try await withTemporaryDirectory { directory in
            _ = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("pki"))
            #expect(try permissions(of: directory.appendingPathComponent("pki/ca-key.pem")) == 0o600)
            #expect(try permissions(of: directory.appendingPathComponent("pki")) == 0o700)
        }
    }

    @Test("the CA certificate is a self-signed P-256 CA for signing certificates, valid 10 years")
    func caCertificateShape() async throws {
        try await withTemporaryDirectory { directory in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let authority = try CertificateAuthority.loadOrCreate(in: directory, now: now)
            let certificate = authority.certificate
            #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
            #expect(try certificate.extensions.keyUsage?.keyCertSign == true)
            #expect(certificate.issuer == certificate.subject)
            #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
            #expect(certificate.notValidAfter == now + 10 * 365 * 86_400)
            #expect(authority.fingerprint == CertificateFingerprint(certificate))
        }
    }

    @Test("a key without its certificate is refused, not replaced")
    func keyWithoutCertificate() async throws {
        try await withTemporaryDirectory { directory in
            _ = try CertificateAuthority.loadOrCreate(in: directory)
            let certificatePath = directory.appendingPathComponent("ca.pem")
            try FileManager.default.removeItem(at: certificatePath)
            #expect(throws: PKIError.incompleteFiles(
                present: directory.appendingPathComponent("ca-key.pem").path, missing: certificatePath.path)) {
                try CertificateAuthority.loadOrCreate(in: directory)
            }
        }
    }

    @Test("an agent certificate names the agent, allows client authentication only, and has a random serial")
    func agentCertificate() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory)
            let key = P256.Signing.PrivateKey()
            let now = wholeSecondsNow()
            let first = try authority.issueAgentCertificate(
                name: "host-7", publicKey: Certificate.PublicKey(key.publicKey), now: now, validity: 3_600)
            let second = try authority.issueAgentCertificate(
                name: "host-7", publicKey: Certificate.PublicKey(key.publicKey), now: now)
            #expect(first.certificate.subject.description == "CN=host-7")
            #expect(try first.certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
            #expect(first.certificate.publicKey == Certificate.PublicKey(key.publicKey))
            #expect(first.serial == first.certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())
            #expect(first.serial != second.serial)
            #expect(first.notValidAfter == now + 3_600)
            #expect(try Certificate(pemEncoded: first.pem) == first.certificate)
            #expect(authority.isIssuer(of: first.certificate, at: now))
        }
    }

    @Test("the CA is the issuer of its certificates only, and only while they are valid")
    func isIssuer() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ours"))
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("theirs"))
            let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
            let now = Date()
            let theirs = try other.issueAgentCertificate(name: "host-1", publicKey: key, now: now)
            let ours = try authority.issueAgentCertificate(name: "host-1", publicKey: key, now: now, validity: 60)
            #expect(!authority.isIssuer(of: theirs.certificate, at: now))
            #expect(authority.isIssuer(of: ours.certificate, at: now))
            #expect(!authority.isIssuer(of: ours.certificate, at: now + 120))
        }
    }

    @Test("an empty agent name is refused")
    func emptyName() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory)
            let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
            #expect(throws: PKIError.invalidName("", reason: "it is empty")) {
                try authority.issueAgentCertificate(name: "", publicKey: key)
            }
        }
    }

    @Test("the server credential is a server-authentication certificate for its names, followed by the CA")
    func serverCredential() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory)
            let credential = try authority.issueServerCertificate(
                dnsNames: ["tapster.example"], ipAddresses: ["127.0.0.1", "::1"], now: Date())
            #expect(credential.certificateChainPEM.count == 2)
            #expect(credential.certificateChainPEM[1] == authority.certificatePEM)
            let leaf = try Certificate(pemEncoded: credential.certificateChainPEM[0])
            #expect(authority.isIssuer(of: leaf, at: Date()))
            #expect(try leaf.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
            #expect(try Array(leaf.extensions.subjectAlternativeNames ?? SubjectAlternativeNames()) == [
                .dnsName("tapster.example"),
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ])
            let key = try P256.Signing.PrivateKey(pemRepresentation: credential.privateKeyPEM)
            #expect(Certificate.PublicKey(key.publicKey) == leaf.publicKey)
        }
    }

    @Test("a server address that is not an IP address is refused")
    func invalidAddress() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory)
            #expect(throws: PKIError.invalidIPAddress("10.0.0.300")) {
                try authority.issueServerCertificate(dnsNames: [], ipAddresses: ["10.0.0.300"], now: Date())
            }
        }
    }
}
