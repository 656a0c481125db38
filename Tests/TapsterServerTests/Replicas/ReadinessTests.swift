import Foundation
import Testing
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// `/readyz` as a starting server answers it: a restarted server's agents reconnect as soon as it says it
/// is ready, so it must not say so before its agent channel listens.
struct ReadinessTests {
    private static func replica(servesAgents: Bool) throws -> ReplicaState {
        ReplicaState(identity: try ReplicaIdentity(name: "replica-1", agentAddress: "127.0.0.1:0"), relayed: false, servesAgents: servesAgents)
    }

    @Test func aServerIsNotReadyBeforeItsAgentChannelListens() async throws {
        try await TestDatabase.with(.sqlite) { db in
            let replica = try Self.replica(servesAgents: true)
            let readiness = await ReadinessRoutes(store: db.store, replica: replica).check()
            #expect(readiness == .init(ready: false, replica: "replica-1", database: "reachable", changeFeed: "not_needed", agentChannel: "starting"))
        }
    }

    @Test func aServerIsReadyOnceItsAgentChannelListens() async throws {
        try await TestDatabase.with(.sqlite) { db in
            let replica = try Self.replica(servesAgents: true)
            replica.agentChannelListens()
            let readiness = await ReadinessRoutes(store: db.store, replica: replica).check()
            #expect(readiness == .init(ready: true, replica: "replica-1", database: "reachable", changeFeed: "not_needed", agentChannel: "listening"))
        }
    }

    @Test func aServerWithoutAnAgentChannelIsReadyWithoutOne() async throws {
        try await TestDatabase.with(.sqlite) { db in
            let readiness = await ReadinessRoutes(store: db.store, replica: try Self.replica(servesAgents: false)).check()
            #expect(readiness == .init(ready: true, replica: "replica-1", database: "reachable", changeFeed: "not_needed", agentChannel: "not_served"))
        }
    }
}
