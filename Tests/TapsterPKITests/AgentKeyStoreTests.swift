import Crypto
import Foundation
import TapsterPKI
import Testing
import X509

@Suite("Agent key store")
struct AgentKeyStoreTests {
    @Test("a new store has a key and a self-signed bootstrap certificate naming the agent, valid one day")
    func bootstrapCertificate() async throws {
        try await withTemporaryDirectory { directory in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let store = try AgentKeyStore.loadOrCreate(in: directory, agentName: "host-1", now: now)
            let certificate = store.bootstrapCertificate
            #expect(certificate.subject.description == "CN=host-1")
            #expect(certificate.issuer == certificate.subject)
            #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
            #expect(certificate.notValidAfter == now + 86_400)
            #expect(store.enrolled == nil)
            #expect(store.bootstrapCredential.certificateChainPEM.count == 1)
        }
    }

    @Test("every file of the store is readable by its owner only (0600)")
    func fileModes() async throws {
        try await withTemporaryDirectory { directory in
            var store = try AgentKeyStore.loadOrCreate(in: directory, agentName: "host-1")
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ca"))
            let issued = try authority.issueAgentCertificate(name: "host-1", publicKey: store.publicKey)
            try store.saveEnrolment(certificatePEM: issued.pem, caCertificatePEM: authority.certificatePEM)
            for file in ["agent-key.pem", "bootstrap.pem", "agent.pem", "ca.pem"] {
                #expect(try permissions(of: directory.appendingPathComponent(file)) == 0o600, "\(file)")
            }
        }
    }

    @Test("reloading keeps the key and a still-fresh bootstrap certificate")
    func reload() async throws {
        try await withTemporaryDirectory { directory in
            let first = try AgentKeyStore.loadOrCreate(in: directory, agentName: "host-1")
            let second = try AgentKeyStore.loadOrCreate(in: directory, agentName: "host-1")
            #expect(second.publicKey == first.publicKey)
            #expect(second.bootstrapCertificate == first.bootstrapCertificate)
        }
    }

    @Test("an expired bootstrap certificate is made anew for the same key")
    func expiredBootstrap() async throws {
        try await withTemporaryDirectory { directory in
            let now = wholeSecondsNow()
            let old = try AgentKeyStore.loadOrCreate(in: directory, agentName: "host-1", now: now - 2 * 86_400)
            let fresh = try AgentKeyStore.loadOrCreate(in: directory, agentName: "host-1", now: now)
            #expect(fresh.publicKey == old.publicKey)
            #expect(fresh.bootstrapCertificate != old.bootstrapCertificate)
            #expect(fresh.bootstrapCertificate.notValidAfter == now + 86_400)
        }
    }

    @Test("an enrolment is saved, reloaded, and forgotten")
    func enrolment() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ca"))
            let agentDirectory = directory.appendingPathComponent("agent")
            var store = try AgentKeyStore.loadOrCreate(in: agentDirectory, agentName: "host-1")
            let issued = try authority.issueAgentCertificate(name: "host-1", publicKey: store.publicKey)
            try store.saveEnrolment(certificatePEM: issued.pem, caCertificatePEM: authority.certificatePEM)
            #expect(store.enrolled?.serial == issued.serial)

            var reloaded = try AgentKeyStore.loadOrCreate(in: agentDirectory, agentName: "host-1")
            #expect(reloaded.enrolled?.certificatePEM == issued.pem)
            #expect(reloaded.enrolled?.caCertificatePEM == authority.certificatePEM)
            #expect(reloaded.enrolled?.name == "host-1")
            #expect(reloaded.enrolled?.caFingerprint == authority.fingerprint)

            try reloaded.forget()
            #expect(reloaded.enrolled == nil)
            #expect(try AgentKeyStore.loadOrCreate(in: agentDirectory, agentName: "host-1").enrolled == nil)
            #expect(throws: PKIError.notEnrolled(directory: agentDirectory.path)) {
                try ClientIdentity.enrolled(reloaded)
            }
        }
    }

    @Test("an enrolment answer certifying another key is refused")
    func enrolmentForAnotherKey() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ca"))
            var store = try AgentKeyStore.loadOrCreate(in: directory.appendingPathComponent("agent"), agentName: "host-1")
            let otherKey = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
            let issued = try authority.issueAgentCertificate(name: "host-1", publicKey: otherKey)
            #expect(throws: PKIError.enrolmentRejected(
                reason: "the enrolment's certificate certifies another key than this agent's")) {
                try store.saveEnrolment(certificatePEM: issued.pem, caCertificatePEM: authority.certificatePEM)
            }
            #expect(store.enrolled == nil)
        }
    }

    @Test("an enrolment answer with another CA than the pinned one is refused")
    func enrolmentWithUnpinnedCA() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ca"))
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("other"))
            var store = try AgentKeyStore.loadOrCreate(in: directory.appendingPathComponent("agent"), agentName: "host-1")
            let issued = try authority.issueAgentCertificate(name: "host-1", publicKey: store.publicKey)
            #expect(throws: PKIError.enrolmentRejected(reason:
                "the enrolment's CA certificate has fingerprint \(authority.fingerprint), not the pinned \(other.fingerprint)")) {
                try store.saveEnrolment(
                    certificatePEM: issued.pem, caCertificatePEM: authority.certificatePEM,
                    expectedCAFingerprint: other.fingerprint)
            }
            #expect(store.enrolled == nil)
        }
    }

    @Test("an enrolment answer whose certificate another CA issued is refused")
    func enrolmentFromAnotherCA() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ca"))
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("other"))
            var store = try AgentKeyStore.loadOrCreate(in: directory.appendingPathComponent("agent"), agentName: "host-1")
            let issued = try other.issueAgentCertificate(name: "host-1", publicKey: store.publicKey)
            #expect(throws: PKIError.enrolmentRejected(
                reason: "the enrolment's certificate was not issued by the CA in the enrolment's CA certificate")) {
                try store.saveEnrolment(certificatePEM: issued.pem, caCertificatePEM: authority.certificatePEM)
            }
        }
    }
}
