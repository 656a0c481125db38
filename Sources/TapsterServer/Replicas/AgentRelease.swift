import Foundation
import TapsterCore
import TapsterStore

/// Marks disconnected the agents a replica held that no longer has them: at start, those this replica's
/// previous run held (it stopped without closing their channels); after another replica died, those it
/// held. Agents held by live replicas are left alone, so starting or losing one replica disturbs no other.
enum AgentRelease {
    /// Marks disconnected the agents recorded as connected to `replica` (every connected agent when `nil`:
    /// SQLite, one process); each only if it is still connected there (an agent that reconnected to
    /// another replica meanwhile stays connected). Publishes each on `changes`; returns their names.
    @discardableResult
    static func release(heldBy replica: String?, store: SQLStore, changes: ChangeFeed) async throws -> [String] {
        let candidates: [String]
        if let replica {
            candidates = try await store.connectedAgentNames(heldBy: replica)
        } else {
            candidates = try await store.listAgents().filter { $0.state == .connected }.map(\.name)
        }
        var released: [String] = []
        for name in candidates {
            let done = try await store.transaction { session in
                guard var agent = try await session.lockAgent(named: name), agent.state == .connected else { return false }
                if let replica, try await session.agentReplica(named: name) != replica { return false }
                agent.state = .disconnected
                try await session.upsertAgent(agent)
                try await session.setAgentReplica(named: name, replica: nil)
                return true
            }
            if done { released.append(name) }
        }
        changes.publish(released.map { .agent(name: $0, .updated) })
        return released
    }
}
