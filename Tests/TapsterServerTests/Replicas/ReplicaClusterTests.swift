import Foundation
import NIOHTTP1
import TapsterClient
import TapsterAPI
import TapsterCore
import TapsterFleetSimulator
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// Several real `tapster serve` replicas on one real PostgreSQL database behave as one server: changes
/// cross between them, admission and expiry hold across them, and one replica starting or dying does not
/// disturb the others' agents. (Figures, if any, come from Benchmarks/; these check what happens.)
@Suite("Replicas on one PostgreSQL", .serialized, .timeLimit(.minutes(10)),
       .enabled(if: StoreKind.postgresAdminURL != nil || StoreKind.isCI, "needs PostgreSQL (TAPSTER_TEST_POSTGRES_URL)"))
struct ReplicaClusterTests {
    /// `/readyz` as the replicas answer it.
    struct Readiness: Decodable, Equatable, Sendable {
        var ready: Bool
        var replica: String
        var database: String
        var changeFeed: String
        var agentChannel: String
    }

    /// Runs `body` with `count` replicas on a fresh database, each listening to the others' changes.
    private func withCluster(_ count: Int, _ body: (ReplicaCluster) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await TestDatabase.with(.postgres) { db in
            try await ReplicaCluster.with(binary: binary, databaseURL: db.databaseURL, count: count) { cluster in
                for replica in cluster.replicas {
                    try await eventually(timeout: .seconds(60), "\(replica.url) to be ready") {
                        try? await Self.readiness(replica).ready == true ? true : nil
                    }
                }
                try await body(cluster)
            }
        }
    }

    static func readiness(_ replica: ServerProcess) async throws -> Readiness {
        try await APIClient.with(server: replica.url, token: nil) { try await $0.call(.GET, "/readyz", authenticated: false, as: Readiness.self).value }
    }

    @Test func everyReplicaIsReadyAndSaysWhichReplicaItIsThatItsDatabaseAnswersThatItHearsTheOthersAndThatAgentsCanConnect() async throws {
        try await withCluster(2) { cluster in
            for (index, replica) in cluster.replicas.enumerated() {
                let readiness = try await Self.readiness(replica)
                #expect(readiness == Readiness(ready: true, replica: ReplicaCluster.name(index), database: "reachable", changeFeed: "listening",
                                               agentChannel: "listening"))
            }
        }
    }

    @Test func aTapCreatedThroughOneReplicaIsPushedByAnotherToTheAgentConnectedThere() async throws {
        try await withCluster(2) { cluster in
            let (a, b) = (cluster.replicas[0], cluster.replicas[1])
            let keys = try ScratchDirectory(label: "replica-fleet")
            defer { keys.remove() }
            try await APIClient.with(server: a.url, token: cluster.adminToken) { throughA in
                let api = FleetAPI(api: throughA)
                try await api.createFilterAndTarget()
                let fleet = Fleet(count: 2, workloads: 2, endpoint: try #require(FleetEndpoint(b.agentAddress)), directory: keys.url)
                try await fleet.enrol { try await api.joinToken(for: $0) }
                let running = Task { await fleet.run() }
                defer { running.cancel() }
                try await eventually(timeout: .seconds(60), "both agents connected to replica B") {
                    try await Self.agentStates(throughA).values.allSatisfy { $0 == .connected } ? true : nil
                }

                let tap = try await api.createTap()
                let applied = try await cluster.explaining {
                    try await eventually(timeout: .seconds(60), "both agents (on replica B) to apply the tap made on A") {
                        let applied = fleet.ledger.applied(tap.id)
                        return applied.count == 2 ? applied : nil
                    }
                }
                #expect(Set(applied.keys) == Set(fleet.names))
                running.cancel()
                await running.value
            }
        }
    }

    @Test func twentyConcurrentTapCreationsByOneOwnerOverThreeReplicasAdmitExactlyTheQuota() async throws {
        try await withCluster(3) { cluster in
            let quota = 3
            let owner = try await Self.makeOwner(quota: quota, through: cluster.replicas[0], adminToken: cluster.adminToken)
            let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { group in
                for attempt in 0..<20 {
                    let replica = cluster.replicas[attempt % 3]
                    group.addTask {
                        do {
                            return .success(try await APIClient.with(server: replica.url, token: owner) { client in
                                try await client.post("/api/v1/taps", body: TapRequest(filter: "shop-web", target: "shop-tool",
                                                                                      duration: TapDuration(seconds: 3_600)), as: Tap.self).value.id
                            })
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var outcomes: [Result<String, any Error>] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let admitted = outcomes.compactMap { try? $0.get() }
            let refusals = outcomes.compactMap { outcome -> ErrorCode? in
                guard case .failure(let error) = outcome else { return nil }
                return (error as? TapsterError)?.code
            }
            #expect(admitted.count == quota)
            #expect(refusals == Array(repeating: .quotaExceeded, count: 20 - quota))
        }
    }

    @Test func aTapExpiresExactlyOnceWhenTheReplicaThatCreatedItWasKilledBeforeItsDeadline() async throws {
        try await withCluster(3) { cluster in
            try await APIClient.with(server: cluster.replicas[1].url, token: cluster.adminToken) { survivor in
                let api = FleetAPI(api: survivor)
                try await api.createFilterAndTarget()
                let (first, second) = try await APIClient.with(server: cluster.replicas[0].url, token: cluster.adminToken) { client in
                    let creator = FleetAPI(api: client)
                    return (try await creator.createTap(for: TapDuration(seconds: 4)), try await creator.createTap(for: TapDuration(seconds: 8)))
                }
                cluster.replicas[0].kill()

                // Both surviving replicas run expiry; once the later tap has expired, both have passed the first's deadline.
                for tap in [first, second] {
                    try await eventually(timeout: .seconds(60), "tap \(tap.id) to expire") {
                        try await survivor.get("/api/v1/taps/\(tap.id)", as: Tap.self).value.state == .expired ? true : nil
                    }
                }
                for tap in [first, second] {
                    let events = try await survivor.get("/api/v1/audit?action=tap.expired&tap=\(tap.id)", as: AuditPage.self).value.items
                    #expect(events.count == 1, "tap \(tap.id): \(events.map(\.actor))")
                }
            }
        }
    }

    @Test func aReplicaThatRestartsLeavesTheAgentsConnectedToAnotherReplicaConnected() async throws {
        try await withCluster(2) { cluster in
            let (a, b) = (cluster.replicas[0], cluster.replicas[1])
            let keys = try ScratchDirectory(label: "replica-restart")
            defer { keys.remove() }
            try await APIClient.with(server: b.url, token: cluster.adminToken) { throughB in
                let api = FleetAPI(api: throughB)
                let fleet = Fleet(count: 1, workloads: 1, endpoint: try #require(FleetEndpoint(b.agentAddress)), directory: keys.url)
                try await fleet.enrol { try await api.joinToken(for: $0) }
                let running = Task { await fleet.run() }
                defer { running.cancel() }
                // Connected as the server records it, and established as the agent sees it (its first set received).
                try await eventually(timeout: .seconds(60), "the agent connected to replica B") {
                    try await Self.agentStates(throughB)[fleet.names[0]] == .connected
                        && fleet.ledger.established(since: .distantPast).count == 1 ? true : nil
                }
                let established = fleet.ledger.established(since: .distantPast).count

                a.stop()
                try await a.start()
                try await eventually(timeout: .seconds(60), "replica A ready again") { try? await Self.readiness(a).ready == true ? true : nil }

                let states = try await Self.agentStates(throughB)
                #expect(states[fleet.names[0]] == .connected)
                #expect(fleet.ledger.established(since: .distantPast).count == established, "the agent's channel to B was not reopened")
                running.cancel()
                await running.value
            }
        }
    }

    @Test func aKilledReplicasAgentsAreMarkedDisconnectedByALiveReplicaAuditedOnce() async throws {
        try await withCluster(3) { cluster in
            let (dying, witness) = (cluster.replicas[2], cluster.replicas[0])
            let keys = try ScratchDirectory(label: "replica-lost")
            defer { keys.remove() }
            try await APIClient.with(server: witness.url, token: cluster.adminToken) { client in
                let api = FleetAPI(api: client)
                let fleet = Fleet(count: 1, workloads: 1, endpoint: try #require(FleetEndpoint(dying.agentAddress)), directory: keys.url)
                try await fleet.enrol { try await api.joinToken(for: $0) }
                let running = Task { await fleet.run() }
                defer { running.cancel() }
                let agent = fleet.names[0]
                try await eventually(timeout: .seconds(60), "the agent connected to, and recorded as held by, \(ReplicaCluster.name(2))") {
                    let held = try await client.get("/api/v1/agents/\(agent)", as: Agent.self).value
                    return held.state == .connected && held.replica == ReplicaCluster.name(2) ? true : nil
                }

                dying.kill()
                let audits = try await eventually(timeout: .seconds(90), "a live replica to notice the dead one") {
                    let audits = try await Self.lostReplicaAudits(client)
                    return audits.isEmpty ? nil : audits
                }
                #expect(audits.map(\.objectName) == [ReplicaCluster.name(2)])
                #expect(audits.first?.details["agents_disconnected"] == agent)
                let states = try await Self.agentStates(client)
                #expect(states[agent] == .disconnected)
                running.cancel()
                await running.value
            }
        }
    }

    // MARK: Helpers

    static func agentStates(_ client: APIClient) async throws -> [String: Agent.State] {
        Dictionary(try await client.list("/api/v1/agents", of: Agent.self).value.map { ($0.name, $0.state) }, uniquingKeysWith: { first, _ in first })
    }

    static func lostReplicaAudits(_ client: APIClient) async throws -> [AuditEvent] {
        try await client.get("/api/v1/audit?action=replica.lost", as: AuditPage.self).value.items
    }

    /// An owner of tenant `shop` with `quota` live taps, granted filter `shop-web` into target `shop-tool`
    /// for an hour; returns their API token.
    static func makeOwner(quota: Int, through replica: ServerProcess, adminToken: String) async throws -> String {
        try await APIClient.with(server: replica.url, token: adminToken) { admin in
            _ = try await admin.post("/api/v1/tenants", body: TenantSpec(name: "shop"), as: Tenant.self)
            _ = try await admin.post("/api/v1/users", body: UserCreateRequest(name: "olive", role: .owner, tenants: ["shop"], quota: quota,
                                                                               password: "password-of-olive"), as: User.self)
            let token = try await admin.post("/api/v1/users/olive/tokens", body: TokenRequest(name: "test"), as: IssuedToken.self).value.token
            _ = try await admin.post("/api/v1/filters", body: FilterSpec(name: "shop-web", tenant: "shop",
                                                                          selector: try LabelSelector(parsing: "app=web")), as: FilterView.self)
            _ = try await admin.post("/api/v1/targets", body: TargetSpec(name: "shop-tool", tenant: "shop", kind: .erspan,
                                                                          destination: try IPAddress(parsing: "192.0.2.10"), sessionId: 7),
                                     as: Target.self)
            _ = try await admin.post("/api/v1/grants", body: GrantSpec(user: "olive", filter: "shop-web", target: "shop-tool",
                                                                        maxDuration: TapDuration(seconds: 3_600)), as: Grant.self)
            return token
        }
    }
}
