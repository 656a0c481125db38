import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TapsterAPI
import TapsterCore
import TapsterPKI
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterStore
import TapsterTestSupport

/// A real Tapster server on a fresh database of one kind — the HTTP API and the agent channel (a
/// gRPC server with mutual TLS on a loopback port, its CA in a temporary directory) — for the
/// duration of a test, with the first admin created (token ``TestServer/adminToken``).
struct AgentHarness: Sendable {
    let api: API
    let controlPlane: ControlPlane
    let pki: AgentPKI
    /// The agent channel's port on 127.0.0.1.
    let agentPort: Int
    /// A directory of the test's own (agents' key stores go here), removed afterwards.
    let directory: URL
    let clock: TestClock

    /// Runs `body` against a server with an agent channel; everything is torn down afterwards, even on failure.
    static func run<T: Sendable>(_ kind: StoreKind, _ body: @Sendable (AgentHarness) async throws -> T) async throws -> T {
        try await TestServer.slots.run {
            try await TestDatabase.with(kind) { database in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-agent-test-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: directory) }
                let clock = TestClock()
                let pki = try await AgentPKI.load(directory: directory.appendingPathComponent("pki"), store: database.store)
                let controlPlane = ControlPlane(store: database.store, clock: { clock.now }, passwordCost: TestServer.passwordCost,
                                                agentPKI: pki, logger: TestServer.logger)
                _ = try await Bootstrap.run(controlPlane.identity, adminToken: TestServer.adminToken)
                let channel = AgentChannel(controlPlane: controlPlane, pki: pki, configuration: AgentChannelConfiguration(port: 0),
                                           logger: TestServer.logger)
                let app = TapsterServer.makeApplication(controlPlane: controlPlane, configuration: ServerConfiguration(port: 0),
                                                        logger: TestServer.logger, services: [channel])
                return try await app.test(.live) { client in
                    let endpoint = try await eventually("the agent channel listening") { await controlPlane.agentHub.endpoint }
                    guard let port = endpoint.split(separator: ":").last.flatMap({ Int($0) }) else {
                        throw TestFailure("the agent channel advertises \(endpoint), not HOST:PORT")
                    }
                    return try await body(AgentHarness(api: API(client: client), controlPlane: controlPlane, pki: pki, agentPort: port,
                                                       directory: directory, clock: clock))
                }
            }
        }
    }

    /// A join token for agent `name` made through the API by the admin.
    func joinToken(for name: String, _ purpose: AgentJoinToken.Purpose = .enrol, ttl: String? = nil) async throws -> IssuedAgentToken {
        try await api.expect(IssuedAgentToken.self, .post, "/api/v1/agent-tokens", token: TestServer.adminToken,
                             json: AgentTokenRequest(agent: name, purpose: purpose, ttl: try ttl.map { try TapDuration(parsing: $0) }))
    }

    /// A test agent named `name` with a key store of its own.
    func agent(_ name: String) throws -> TestAgent {
        try TestAgent(name: name, port: agentPort, directory: directory.appendingPathComponent("agent-\(name)"))
    }

    /// An agent enrolled with a fresh token.
    func enrolledAgent(_ name: String) async throws -> TestAgent {
        let agent = try agent(name)
        _ = try await agent.enroll(token: try await joinToken(for: name).token)
        return agent
    }

    /// The agent's record, through the API.
    func agentRecord(_ name: String) async throws -> Agent {
        try await api.expect(Agent.self, .get, "/api/v1/agents/\(name)", token: TestServer.adminToken)
    }
}

/// The control plane's clock in a test: real time, moved forward on demand.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += seconds }
    }
}

/// A test's own failure, with what was wrong.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
