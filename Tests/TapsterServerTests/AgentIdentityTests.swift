import Foundation
import GRPCCore
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterPKI
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// A join token names the agent it enrols, and an enrolled agent's identity is replaced only with a
/// re-enrolment token made for it: a holder of any other token cannot take over a host.
@Suite struct AgentIdentityTests {
    @Test(arguments: StoreKind.available)
    func aRogueAgentWithATokenForAnotherHostIsRefusedAndTheRealAgentKeepsItsIdentity(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let real = try await harness.enrolledAgent("web-1")
            let serial = try #require(try real.keyStore.enrolled?.serial)
            let channel = try real.connect(tunnelAddress: "10.0.0.1")
            _ = try await channel.desired()
            let stolen = try await harness.joinToken(for: "spare-7")
            // The rogue: its own key, the real agent's name, a token made for another host.
            let rogue = TestAgent(copying: real, directory: harness.directory.appendingPathComponent("rogue"))

            let error = try await AgentEnrolmentTests.refusal { try await rogue.enroll(token: stolen.token) }

            #expect(error.code == .permissionDenied)
            #expect(error.message == "join token \(stolen.id) is for agent spare-7, not web-1")
            let record = try await harness.agentRecord("web-1")
            #expect(record.certificateSerial == serial)
            #expect(record.tunnelAddress == "10.0.0.1")
            #expect(!harness.pki.revocations.contains(serial: serial))
            #expect(try await harness.controlPlane.store.revokedSerials() == [])
            #expect(await harness.controlPlane.agentHub.connectedAgents == ["web-1"])
            let audit = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&action=agent.enrolment_refused",
                                                     token: TestServer.adminToken)
            #expect(audit.items.map(\.objectName) == ["web-1"])
            #expect(audit.items.first?.details["token"] == stolen.id)
            #expect(audit.items.first?.details["reason"] == error.message)
            #expect(audit.items.first?.details["address"] == "127.0.0.1")
            // The token was not used up by the refusal: the host it is for still enrols with it.
            try await harness.agent("spare-7").enroll(token: stolen.token)
            await channel.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func anEnrolmentTokenNeverReplacesAnEnrolledAgent(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let early = try await harness.joinToken(for: "web-1")
            let real = try await harness.enrolledAgent("web-1")
            let serial = try #require(try real.keyStore.enrolled?.serial)
            let rogue = TestAgent(copying: real, directory: harness.directory.appendingPathComponent("rogue"))

            let error = try await AgentEnrolmentTests.refusal { try await rogue.enroll(token: early.token) }

            #expect(error.code == .alreadyExists)
            #expect(error.message.hasPrefix("agent web-1 is enrolled already"))
            #expect(try await harness.agentRecord("web-1").certificateSerial == serial)
            #expect(try await harness.controlPlane.store.revokedSerials() == [])
            let (status, refusal) = try await harness.api.failure(.post, "/api/v1/agent-tokens", token: TestServer.adminToken,
                                                                  json: AgentTokenRequest(agent: "web-1"))
            #expect(status == 409)
            #expect(refusal.message.contains("tapster agent token create web-1 --reenrol"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aReEnrolmentTokenIsOnlyForAnEnrolledAgent(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (status, error) = try await harness.api.failure(.post, "/api/v1/agent-tokens", token: TestServer.adminToken,
                                                                json: AgentTokenRequest(agent: "web-9", purpose: .reenrol))
            #expect(status == 404)
            #expect(error.code == .notFound)
        }
    }

    @Test(arguments: StoreKind.available)
    func aJoinTokenMustNameItsAgent(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            for request in [AgentTokenRequest(agent: nil), AgentTokenRequest(agent: "Not A Name")] {
                let (status, error) = try await harness.api.failure(.post, "/api/v1/agent-tokens", token: TestServer.adminToken, json: request)
                #expect(status == 400)
                #expect(error.field == "agent")
            }
        }
    }
}

/// An agent's tunnel address (where other hosts send it `port`-target frames) is one other hosts can
/// reach and no other agent's; connections and changes of it are audited.
@Suite struct AgentTunnelAddressTests {
    @Test(arguments: StoreKind.available)
    func aTunnelAddressOtherHostsCannotReachIsRefused(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            for address in ["127.0.0.1", "224.0.0.5", "0.0.0.0", "255.255.255.255", "169.254.0.1", "2001:db8::1", "node-2.example"] {
                let stream = try agent.connect(tunnelAddress: address)
                let error = try #require(try await stream.ended() as? RPCError, "\(address)")
                #expect(error.code == .invalidArgument, "\(address)")
                #expect(error.message.contains("tunnel address"), "\(error.message)")
            }
            #expect(try await harness.agentRecord("node-1").tunnelAddress == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherAgentsTunnelAddressIsRefused(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let real = try await harness.enrolledAgent("node-1").connect(tunnelAddress: "198.51.100.1")
            _ = try await real.desired()
            let rogue = try await harness.enrolledAgent("node-2").connect(tunnelAddress: "198.51.100.1")

            let error = try #require(try await rogue.ended() as? RPCError)

            #expect(error.code == .invalidArgument)
            #expect(error.message == "tunnel_address: the tunnel address 198.51.100.1 is agent node-1's; each host needs its own")
            #expect(try await harness.agentRecord("node-2").tunnelAddress == nil)
            #expect(try await harness.agentRecord("node-1").tunnelAddress == "198.51.100.1")
            await real.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func connectionsAndTunnelAddressChangesAreAudited(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let agent = try await harness.enrolledAgent("node-1")
            for address in ["198.51.100.1", "198.51.100.1", "198.51.100.7"] {
                let stream = try agent.connect(tunnelAddress: address)
                _ = try await stream.desired()
                await stream.close()
            }
            let connected = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?action=agent.connected",
                                                         token: TestServer.adminToken).items
            #expect(connected.count == 3)
            #expect(Set(connected.compactMap { $0.details["address"] }) == ["127.0.0.1"])
            let changes = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?action=agent.tunnel_address_changed",
                                                       token: TestServer.adminToken).items
            #expect(Set(changes.map { "\($0.details["from"] ?? "-")→\($0.details["to"] ?? "-")" }) == ["-→198.51.100.1", "198.51.100.1→198.51.100.7"])
            #expect(changes.allSatisfy { $0.actor == "agent/node-1" })
        }
    }
}
