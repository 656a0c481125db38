import Foundation
import GRPCCore
import HTTPTypes
import SwiftProtobuf
import Testing
import TapsterAPI
import TapsterCore
import TapsterPKI
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport
import TapsterWire

/// Join tokens and enrolment over the real agent channel: a token serves once, until it expires;
/// only the server's CA's certificates connect; revocation is immediate.
@Suite struct AgentEnrolmentTests {
    @Test(arguments: StoreKind.available)
    func adminCreatesAJoinTokenThatNamesTheAgentChannelAndIsListedWithoutItsSecret(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let issued = try await harness.joinToken(for: "node-1", ttl: "30m")
            let token = try JoinToken(parsing: issued.token)
            #expect(issued.agent == "node-1")
            #expect(issued.purpose == .enrol)
            #expect(token.id == issued.id)
            #expect(token.caFingerprint == harness.pki.authority.fingerprint)
            #expect(issued.agentAddress == "127.0.0.1:\(harness.agentPort)")
            #expect(issued.command == "tapster agent --server 127.0.0.1:\(harness.agentPort) --name node-1 --join-token \(issued.token)")
            #expect(abs(issued.expiresAt.timeIntervalSince(harness.clock.now) - 1800) < 5)
            let listed = try await harness.api.call(.get, "/api/v1/agent-tokens", token: TestServer.adminToken)
            #expect(listed.status == 200)
            #expect(!listed.text.contains(token.secret))
            let tokens = try listed.decode(ItemList<AgentJoinToken>.self).items
            #expect(tokens.map(\.id) == [issued.id])
            #expect(tokens.first?.createdBy == "admin")
            #expect(tokens.first?.agent == "node-1")
            #expect(tokens.first?.purpose == .enrol)
            let audit = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&action=agent.token_created",
                                                     token: TestServer.adminToken)
            #expect(audit.items.map(\.objectId) == [issued.id])
        }
    }

    @Test(arguments: StoreKind.available)
    func onlyAdminsCreateJoinTokensAndTheirLifetimeIsAtMostSevenDays(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let fixture = try await Fixture.make(harness.api)
            for token in [fixture.alice, fixture.audrey] {
                let (status, _) = try await harness.api.failure(.post, "/api/v1/agent-tokens", token: token, json: AgentTokenRequest(agent: "node-1"))
                #expect(status == 403)
            }
            let (status, error) = try await harness.api.failure(.post, "/api/v1/agent-tokens", token: TestServer.adminToken,
                                                               json: AgentTokenRequest(agent: "node-1", ttl: TapDuration(seconds: 8 * 86_400)))
            #expect(status == 400)
            #expect(error.field == "ttl")
            let defaults = try await harness.api.expect(IssuedAgentToken.self, .post, "/api/v1/agent-tokens", token: TestServer.adminToken,
                                                        json: AgentTokenRequest(agent: "node-1"))
            #expect(abs(defaults.expiresAt.timeIntervalSince(harness.clock.now) - 3600) < 5)
        }
    }

    @Test(arguments: StoreKind.available)
    func agentEnrolsWithATokenAndIsRecordedWithItsCertificate(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try harness.agent("node-1")
            let issued = try await harness.joinToken(for: "node-1")
            let response = try await agent.enroll(token: issued.token)
            #expect(response.caCertificatePem == harness.pki.authority.certificatePEM)
            let enrolled = try #require(try agent.keyStore.enrolled)
            #expect(enrolled.name == "node-1")
            let record = try await harness.agentRecord("node-1")
            #expect(record.id == response.agentID)
            #expect(record.state == .disconnected)
            #expect(record.version == "test-1.0")
            #expect(record.certificateSerial == enrolled.serial)
            let tokens = try await harness.api.expect(ItemList<AgentJoinToken>.self, .get, "/api/v1/agent-tokens", token: TestServer.adminToken)
            #expect(tokens.items.first?.usedBy == "node-1")
            let audit = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&action=agent.enrolled",
                                                     token: TestServer.adminToken)
            #expect(audit.items.map(\.objectName) == ["node-1"])
            #expect(audit.items.first?.details["token"] == issued.id)
        }
    }

    @Test(arguments: StoreKind.available)
    func aTokenServesOnce(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let token = try await harness.joinToken(for: "node-1").token
            try await harness.agent("node-1").enroll(token: token)
            let error = try await Self.refusal { try await harness.agent("node-2").enroll(token: token) }
            #expect(error.code == .unauthenticated)
            #expect(error.message.contains("already used (by agent node-1"))
            #expect(try await harness.controlPlane.store.findAgent("node-2") == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func agentsRacingForOneTokenEnrolOnlyOne(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let token = try await harness.joinToken(for: "racer").token
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 1...4 {
                    let agent = try TestAgent(name: "racer", port: harness.agentPort, directory: harness.directory.appendingPathComponent("racer-\(index)"))
                    group.addTask { (try? await agent.enroll(token: token)) != nil }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await harness.controlPlane.store.listAgents().count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func anExpiredTokenIsRefusedSayingWhenItExpired(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let issued = try await harness.joinToken(for: "node-1", ttl: "1m")
            harness.clock.advance(by: 61)
            let error = try await Self.refusal { try await harness.agent("node-1").enroll(token: issued.token) }
            #expect(error.code == .unauthenticated)
            #expect(error.message == "join token \(issued.id) expired at \(TapsterJSON.formatTime(issued.expiresAt))")
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnknownTokenOrAWrongSecretIsRefused(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let issued = try await harness.joinToken(for: "node-1")
            let real = try JoinToken(parsing: issued.token)
            let unknown = JoinToken.generate(caFingerprint: harness.pki.authority.fingerprint)
            let wrongSecret = JoinToken(id: real.id, secret: String(repeating: "a", count: JoinToken.secretLength), caFingerprint: real.caFingerprint)
            for token in [unknown, wrongSecret] {
                let error = try await Self.refusal { try await harness.agent("node-1").enroll(token: token.description) }
                #expect(error.code == .unauthenticated)
                #expect(error.message == "join token \(token.id) is unknown")
            }
            // The real token still works: failed attempts do not use it up.
            try await harness.agent("node-1").enroll(token: issued.token)
        }
    }

    @Test(arguments: StoreKind.available)
    func reEnrollingANameWithAReEnrolmentTokenReplacesItsCertificateAndRevokesTheOldOne(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let first = try await harness.enrolledAgent("node-1")
            let oldSerial = try #require(try first.keyStore.enrolled?.serial)
            let old = try first.connect()
            _ = try await old.desired()
            // The same host, its key store lost, enrols again with a new token.
            let second = TestAgent(copying: first, directory: harness.directory.appendingPathComponent("node-1-again"))
            try await second.enroll(token: try await harness.joinToken(for: "node-1", .reenrol).token)
            let newSerial = try #require(try second.keyStore.enrolled?.serial)
            #expect(newSerial != oldSerial)
            #expect(try await harness.agentRecord("node-1").certificateSerial == newSerial)
            #expect(harness.pki.revocations.contains(serial: oldSerial))
            #expect(try await harness.controlPlane.store.revokedSerials() == [oldSerial])
            let closed = try await old.ended()
            #expect((closed as? RPCError)?.code == .permissionDenied)
            let stream = try second.connect()
            _ = try await stream.desired()
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func aCertificateFromAnotherCAIsRefusedInTheHandshake(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let stranger = try harness.agent("node-1")
            let foreign = try CertificateAuthority.loadOrCreate(in: harness.directory.appendingPathComponent("foreign-ca"))
            var store = try stranger.keyStore
            let issued = try foreign.issueAgentCertificate(name: "node-1", publicKey: store.publicKey)
            try store.saveEnrolment(certificatePEM: issued.pem, caCertificatePEM: foreign.certificatePEM)
            let stream = try ControlStream(port: harness.agentPort, identity: .enrolled(store),
                                           trust: .ca(pem: harness.pki.authority.certificatePEM))
            stream.send(.with { $0.hello = .with { $0.version = "x" } })
            let error = try #require(try await stream.ended() as? RPCError)
            #expect(error.code == .unavailable)
            #expect(try await harness.controlPlane.agentHub.connectedAgents == [])
        }
    }

    @Test(arguments: StoreKind.available)
    func aBootstrapCertificateCannotOpenTheControlChannel(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let stream = try agent.connect(identity: .bootstrap(try agent.keyStore))
            let error = try #require(try await stream.ended() as? RPCError)
            #expect(error.code == .unauthenticated)
            #expect(error.message.contains("not a bootstrap certificate"))
        }
    }

    @Test(arguments: StoreKind.available)
    func anEnrolledCertificateCannotEnrolAgain(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let token = try await harness.joinToken(for: "node-1", .reenrol).token
            let error = try await Self.refusal { _ = try await agent.enrollWithEnrolledCertificate(token: token) }
            #expect(error.code == .failedPrecondition)
        }
    }

    @Test(arguments: StoreKind.available)
    func revokingAnAgentClosesItsStreamAtOnceAndRefusesItFromThenOn(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let stream = try agent.connect()
            _ = try await stream.desired()
            let tokenBeforeRevocation = try await harness.joinToken(for: "node-1", .reenrol).token
            let revoked = try await harness.api.expect(Agent.self, .post, "/api/v1/agents/node-1/revoke", token: TestServer.adminToken)
            #expect(revoked.state == .revoked)
            let closed = try #require(try await stream.ended(timeout: .seconds(30)) as? RPCError)
            #expect(closed.code == .permissionDenied)
            #expect(closed.message == "agent node-1 was revoked by admin")
            #expect(try await harness.agentRecord("node-1").state == .revoked)

            // Its certificate no longer connects; the TLS handshake refuses it.
            let again = try agent.connect()
            #expect((try await again.ended() as? RPCError)?.code == .unavailable)
            // Nor does a token enrol it until an admin deletes it; none is made for it meanwhile.
            let error = try await Self.refusal { try await agent.enroll(token: tokenBeforeRevocation) }
            #expect(error.code == .permissionDenied)
            #expect(error.message.contains("agent node-1 was revoked at"))
            let (status, _) = try await harness.api.failure(.post, "/api/v1/agent-tokens", token: TestServer.adminToken,
                                                            json: AgentTokenRequest(agent: "node-1", purpose: .reenrol))
            #expect(status == 403)
            let audit = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&action=agent.revoked",
                                                     token: TestServer.adminToken)
            #expect(audit.items.map(\.actor) == ["admin"])

            try await harness.api.call(.delete, "/api/v1/agents/node-1", token: TestServer.adminToken).expectStatus(204)
            try await agent.enroll(token: try await harness.joinToken(for: "node-1").token)
            #expect(try await harness.agentRecord("node-1").state == .disconnected)
        }
    }

    @Test(arguments: StoreKind.available)
    func revocationsAreReloadedAtStart(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            let serial = try #require(try agent.keyStore.enrolled?.serial)
            try await harness.api.call(.post, "/api/v1/agents/node-1/revoke", token: TestServer.adminToken).expectStatus(200)
            let reloaded = try await AgentPKI.load(directory: harness.directory.appendingPathComponent("pki"), store: harness.controlPlane.store)
            #expect(reloaded.revocations.contains(serial: serial))
            #expect(reloaded.authority.fingerprint == harness.pki.authority.fingerprint)
        }
    }

    /// The gRPC error `body` fails with.
    static func refusal(_ body: () async throws -> Void) async throws -> RPCError {
        do {
            try await body()
        } catch let error as RPCError {
            return error
        }
        throw TestFailure("the call succeeded; a refusal was expected")
    }
}

extension TestAgent {
    /// The same agent name with a key store of its own (a host that lost its keys).
    init(copying other: TestAgent, directory: URL) {
        try! self.init(name: other.name, port: other.port, directory: directory)
    }
}

extension API.Reply {
    /// Fails the test unless the answer has `status`.
    func expectStatus(_ status: Int) throws {
        guard self.status == status else { throw TestFailure("answered \(self.status), expected \(status): \(text)") }
    }
}
