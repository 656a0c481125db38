import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftASN1
import TapsterPKI
import TapsterWire
import Testing
import X509

/// A server CA with its agent-channel credential for 127.0.0.1, and a place for agents' key stores.
struct ChannelFixture {
    let directory: URL
    let authority: CertificateAuthority
    let revocations = RevocationList()
    let serverRejections = RejectionLog()

    init(directory: URL) throws {
        self.directory = directory
        self.authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("server"))
    }

    func serverSecurity() throws -> HTTP2ServerTransport.Posix.TransportSecurity {
        let credential = try authority.issueServerCertificate(dnsNames: [], ipAddresses: ["127.0.0.1"], now: Date())
        return try AgentChannelTLS.server(
            credential: credential, authority: authority, revocations: revocations,
            onRejection: serverRejections.handler)
    }

    /// A fresh agent key store named `name`.
    func agent(_ name: String) throws -> AgentKeyStore {
        try AgentKeyStore.loadOrCreate(in: directory.appendingPathComponent("agent-\(name)"), agentName: name)
    }

    /// An agent store holding a certificate the CA issued at `issuedAt` for `validity`.
    func enrolledAgent(
        _ name: String, issuedAt: Date = Date(), validity: TimeInterval = 86_400
    ) throws -> AgentKeyStore {
        var store = try agent(name)
        let issued = try authority.issueAgentCertificate(
            name: name, publicKey: store.publicKey, now: issuedAt, validity: validity)
        try store.saveEnrolment(certificatePEM: issued.pem, caCertificatePEM: authority.certificatePEM)
        return store
    }
}

/// Whether `error` is the gRPC error of a connection that could not be established.
private func isConnectionFailure(_ error: any Error) -> Bool {
    (error as? RPCError)?.code == .unavailable
}

@Suite("Agent channel mutual TLS")
struct AgentChannelTLSTests {
    @Test("a bootstrap certificate is accepted and identified as bootstrap")
    func bootstrapAccepted() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let store = try fixture.agent("host-1")
            let client = try AgentChannelTLS.client(
                identity: .bootstrap(store), trust: .pinnedCA(fixture.authority.fingerprint))
            let response = try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                try await enroll(client, "host-1")
            }
            #expect(response.agentID == "bootstrap")
            #expect(try Certificate(pemEncoded: response.certificatePem).publicKey == store.publicKey)
            #expect(fixture.serverRejections.all.isEmpty)
        }
    }

    @Test("an agent enrols with its bootstrap certificate, then connects with the issued one trusting the CA PEM")
    func enrolThenConnect() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            var store = try fixture.agent("host-1")
            let answer = try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                let enrolment = try await enroll(
                    try AgentChannelTLS.client(
                        identity: .bootstrap(store), trust: .pinnedCA(fixture.authority.fingerprint)),
                    "host-1")
                try store.saveEnrolment(
                    certificatePEM: enrolment.certificatePem, caCertificatePEM: enrolment.caCertificatePem,
                    expectedCAFingerprint: fixture.authority.fingerprint)
                return try await enroll(
                    try AgentChannelTLS.client(identity: try .enrolled(store), trust: try .enrolled(store)),
                    "host-1")
            }
            #expect(answer.agentID == "enrolled:host-1:\(try #require(store.enrolled).serial)")
        }
    }

    @Test("an issued certificate is identified as enrolled with its name and serial")
    func issuedIdentified() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let store = try fixture.enrolledAgent("host-2")
            let client = try AgentChannelTLS.client(
                identity: try .enrolled(store), trust: .ca(pem: fixture.authority.certificatePEM))
            let response = try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                try await enroll(client, "ignored")
            }
            let serial = try #require(store.enrolled?.serial)
            #expect(response.agentID == "enrolled:host-2:\(serial)")
        }
    }

    @Test("a revoked certificate is refused in the handshake")
    func revokedRefused() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let store = try fixture.enrolledAgent("host-3")
            let serial = try #require(store.enrolled?.serial)
            fixture.revocations.insert(serial: serial)
            let client = try AgentChannelTLS.client(
                identity: try .enrolled(store), trust: .ca(pem: fixture.authority.certificatePEM))
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                await #expect(performing: { try await enroll(client, "host-3") }, throws: isConnectionFailure)
            }
            #expect(try await fixture.serverRejections.awaitAny() == [.revoked(serial: serial)])
        }
    }

    @Test("a revocation applies to the next connection without restarting the server")
    func revocationAppliesToNextConnection() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let store = try fixture.enrolledAgent("host-4")
            let serial = try #require(store.enrolled?.serial)
            let client = try AgentChannelTLS.client(
                identity: try .enrolled(store), trust: .ca(pem: fixture.authority.certificatePEM))
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                let before = try await enroll(client, "host-4")
                #expect(before.agentID == "enrolled:host-4:\(serial)")
                fixture.revocations.insert(serial: serial)
                await #expect(performing: { try await enroll(client, "host-4") }, throws: isConnectionFailure)
            }
            #expect(try await fixture.serverRejections.awaitAny() == [.revoked(serial: serial)])
        }
    }

    @Test("a certificate another CA issued is refused in the handshake")
    func otherCARefused() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("other"))
            let key = P256.Signing.PrivateKey()
            let issued = try other.issueAgentCertificate(
                name: "intruder", publicKey: Certificate.PublicKey(key.publicKey), now: Date())
            let identity = ClientIdentity(
                credential: TLSCredential(certificateChainPEM: [issued.pem], privateKeyPEM: key.pemRepresentation))
            let client = try AgentChannelTLS.client(
                identity: identity, trust: .ca(pem: fixture.authority.certificatePEM))
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                await #expect(performing: { try await enroll(client, "intruder") }, throws: isConnectionFailure)
            }
            #expect(try await fixture.serverRejections.awaitAny() == [.notIssuedByTrustedCA(subject: "CN=intruder")])
        }
    }

    @Test("an expired issued certificate is refused in the handshake")
    func expiredRefused() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let store = try fixture.enrolledAgent("host-5", issuedAt: Date() - 3 * 86_400, validity: 86_400)
            let notValidAfter = try #require(store.enrolled?.certificate.notValidAfter)
            let client = try AgentChannelTLS.client(
                identity: try .enrolled(store), trust: .ca(pem: fixture.authority.certificatePEM))
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                await #expect(performing: { try await enroll(client, "host-5") }, throws: isConnectionFailure)
            }
            #expect(try await fixture.serverRejections.awaitAny()
                == [.expired(subject: "CN=host-5", notValidAfter: notValidAfter)])
        }
    }

    @Test("a client without a certificate is refused in the handshake")
    func noCertificateRefused() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let client = HTTP2ClientTransport.Posix.TransportSecurity.tls { config in
                config.serverCertificateVerification = .noVerification
            }
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                await #expect(performing: { try await enroll(client, "anonymous") }, throws: isConnectionFailure)
            }
        }
    }

    @Test("an agent pinning another CA's fingerprint refuses the server")
    func wrongPinRefused() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("other"))
            let store = try fixture.agent("host-6")
            let agentRejections = RejectionLog()
            let client = try AgentChannelTLS.client(
                identity: .bootstrap(store), trust: .pinnedCA(other.fingerprint), onRejection: agentRejections.handler)
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                await #expect(performing: { try await enroll(client, "host-6") }, throws: isConnectionFailure)
            }
            #expect(try await agentRejections.awaitAny() == [.pinnedCANotPresented(other.fingerprint)])
            #expect(fixture.serverRejections.all.isEmpty)
        }
    }

    @Test("an enrolled agent trusting another CA refuses the server")
    func otherTrustedCARefused() async throws {
        try await withTemporaryDirectory { directory in
            let fixture = try ChannelFixture(directory: directory)
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("other"))
            let store = try fixture.enrolledAgent("host-7")
            let agentRejections = RejectionLog()
            let client = try AgentChannelTLS.client(
                identity: try .enrolled(store), trust: .ca(pem: other.certificatePEM),
                onRejection: agentRejections.handler)
            try await withAgentChannelServer(
                authority: fixture.authority, security: try fixture.serverSecurity()
            ) { enroll in
                await #expect(performing: { try await enroll(client, "host-7") }, throws: isConnectionFailure)
            }
            #expect(try await agentRejections.awaitAny() == [.notIssuedByTrustedCA(subject: "CN=127.0.0.1")])
        }
    }
}

@Suite("Agent peer identification")
struct AgentPeerTests {
    @Test("a certificate another CA issued identifies no peer")
    func otherCA() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("ours"))
            let other = try CertificateAuthority.loadOrCreate(in: directory.appendingPathComponent("theirs"))
            let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
            let theirs = try other.issueAgentCertificate(name: "host-1", publicKey: key, now: Date())
            #expect(AgentPeer.identify(theirs.certificate, authority: authority, now: Date()) == nil)
        }
    }

    @Test("a revoked certificate identifies no peer when the revocation list is given")
    func revoked() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory)
            let key = Certificate.PublicKey(P256.Signing.PrivateKey().publicKey)
            let issued = try authority.issueAgentCertificate(name: "host-1", publicKey: key, now: Date())
            #expect(AgentPeer.identify(issued.certificate, authority: authority, now: Date())
                == .enrolled(name: "host-1", serial: issued.serial))
            #expect(AgentPeer.identify(
                issued.certificate, authority: authority, revocations: RevocationList([issued.serial]), now: Date())
                == nil)
        }
    }

    @Test("the CA certificate itself identifies no peer")
    func caCertificate() async throws {
        try await withTemporaryDirectory { directory in
            let authority = try CertificateAuthority.loadOrCreate(in: directory)
            #expect(AgentPeer.identify(authority.certificate, authority: authority, now: Date()) == nil)
        }
    }
}
