import Foundation
import Testing
@testable import TapsterServer

/// `/readyz` as a starting server answers it: a restarted server's agents reconnect as soon as it says it
/// is ready, so it must not say so before its agent channel listens.
struct ReadinessTests {
    private static func replica(servesAgents: Bool) throws -> ReplicaState {
        ReplicaState(identity: try ReplicaIdentity(name: "replica-1", agentAddress: "127.0.0.1:0"), relayed: false, servesAgents: servesAgents)
    }

    @Test func aServerIsNotReadyBeforeItsAgentChannelListens() throws {
        let readiness = ReadinessRoutes.readiness(databaseReachable: true, of: try Self.replica(servesAgents: true))
        #expect(readiness == .init(ready: false, replica: "replica-1", database: "reachable", changeFeed: "not_needed", agentChannel: "starting"))
    }

    @Test func aServerIsReadyOnceItsAgentChannelListens() throws {
        let replica = try Self.replica(servesAgents: true)
        replica.agentChannelListens()
        let readiness = ReadinessRoutes.readiness(databaseReachable: true, of: replica)
        #expect(readiness == .init(ready: true, replica: "replica-1", database: "reachable", changeFeed: "not_needed", agentChannel: "listening"))
    }

    @Test func aServerWithoutAnAgentChannelIsReadyWithoutOne() throws {
        let readiness = ReadinessRoutes.readiness(databaseReachable: true, of: try Self.replica(servesAgents: false))
        #expect(readiness == .init(ready: true, replica: "replica-1", database: "reachable", changeFeed: "not_needed", agentChannel: "not_served"))
    }

    @Test func aServerWhoseDatabaseDoesNotAnswerIsNotReadyThoughItsAgentChannelListens() throws {
        let replica = try Self.replica(servesAgents: true)
        replica.agentChannelListens()
        let readiness = ReadinessRoutes.readiness(databaseReachable: false, of: replica)
        #expect(readiness == .init(ready: false, replica: "replica-1", database: "unreachable", changeFeed: "not_needed", agentChannel: "listening"))
    }
}
