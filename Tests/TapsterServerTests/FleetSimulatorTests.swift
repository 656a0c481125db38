import Foundation
import TapsterClient
import TapsterCore
import TapsterFleetSimulator
import TapsterSystemTestSupport
import Testing

/// The fleet simulator at small N against a real `tapster serve` (SQLite): fifty agents' real control
/// channels — join-token enrolment, mutual-TLS gRPC, inventory, status reports — and one tap on the one
/// `app=web` workload of every host. What it checks, not how fast: the figures come from Benchmarks/fleet.
@Suite("Fleet simulator against a real server", .serialized, .timeLimit(.minutes(10)))
struct FleetSimulatorTests {
    static let agents = 50

    @Test func everySimulatedAgentAppliesATapOnItsWebWorkloadAndWithdrawsItOnceItIsStopped() async throws {
        try await Self.withFleet { _, api, client, fleet in
            let tap = try await api.createTap()
            #expect(try await Self.everyAgent(of: fleet, "to apply the tap") { fleet.ledger.applied(tap.id) } == Set(fleet.names))
            // The server heard it from each of them, in their status reports.
            try await Self.everyAgent(of: fleet, reports: .applied, on: tap.id, client)

            try await api.stopTap(tap.id)
            #expect(try await Self.everyAgent(of: fleet, "to withdraw the tap") { fleet.ledger.withdrawn(tap.id) } == Set(fleet.names))
            try await Self.everyAgent(of: fleet, reports: .stopped, on: tap.id, client)
        }
    }

    @Test func aLiveTapOutlivesTheServersKillAndRestartOnEveryAgentWithoutBeingWithdrawn() async throws {
        try await Self.withFleet { server, api, _, fleet in
            let tap = try await api.createTap()
            #expect(try await Self.everyAgent(of: fleet, "to apply the tap") { fleet.ledger.applied(tap.id) } == Set(fleet.names))

            server.kill()
            let restart = Date()
            try await server.start()
            try await server.waitUntilReady()
            #expect(try await Self.everyAgent(of: fleet, "to reconnect") { fleet.ledger.established(since: restart) } == Set(fleet.names))
            // A second tap planned by the new process reaches every agent beside the first: by then each agent's
            // sets since the restart were its first and at least one more, and none may have lacked the live tap.
            let second = try await api.createTap()
            #expect(try await Self.everyAgent(of: fleet, "to apply a second tap") { fleet.ledger.applied(second.id) } == Set(fleet.names))
            #expect(fleet.ledger.withdrawn(tap.id) == [:], "no agent's set lacked the live tap across the restart")
        }
    }

    /// Runs `body` with a real server (its admin's filter and target made), an API client as its admin, and
    /// ``agents`` simulated agents enrolled and connected — stopped and removed after it, whatever happens.
    static func withFleet(_ body: (ServerProcess, FleetAPI, APIClient, Fleet) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await ServerProcess.with(binary: binary) { server in
            let keys = try ScratchDirectory(label: "fleet")
            defer { keys.remove() }
            try await APIClient.with(server: server.url, token: server.adminToken) { client in
                let api = FleetAPI(api: client)
                try await api.createFilterAndTarget()
                let endpoint = try #require(FleetEndpoint(server.agentAddress))
                let fleet = Fleet(count: Self.agents, workloads: 5, endpoint: endpoint, directory: keys.url)
                try await fleet.enrol { try await api.joinToken(for: $0) }
                let running = Task { await fleet.run() }
                defer { running.cancel() }
                try await body(server, api, client, fleet)
                running.cancel()
                await running.value
            }
        }
    }

    /// Waits until `observed` (from the fleet's ledger) names as many agents as the fleet has; returns their names.
    static func everyAgent(of fleet: Fleet, _ what: String, _ observed: @escaping @Sendable () -> [String: Date]) async throws -> Set<String> {
        try await eventually(timeout: .seconds(60), "every agent \(what)") {
            let names = Set(observed().keys)
            return names.count == fleet.agents.count ? names : nil
        }
    }

    /// Waits until the server shows every agent of `fleet` in `state` on tap `id` (from their status reports).
    static func everyAgent(of fleet: Fleet, reports state: TapAgentStatus.State, on id: String, _ client: APIClient) async throws {
        let expected = Dictionary(uniqueKeysWithValues: fleet.names.map { ($0, state) })
        try await eventually(timeout: .seconds(60), "every agent's status \(state) on tap \(id)") { () -> Bool? in
            let tap = try await client.get("/api/v1/taps/\(id)", as: Tap.self).value
            let states = Dictionary((tap.agents ?? []).map { ($0.agent, $0.state) }, uniquingKeysWith: { first, _ in first })
            return states == expected ? true : nil
        }
    }
}
