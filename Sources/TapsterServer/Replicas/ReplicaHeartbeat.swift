import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TapsterCore
import TapsterStore

/// Keeps this replica in the `replicas` registry while it runs, and cleans up after replicas that died.
///
/// Every ``interval`` it renews its heartbeat, records itself as the replica of the agents whose control
/// channels it holds, and looks for replicas whose heartbeat is older than ``staleAfter``: whichever live
/// replica removes such a replica's row first (a conditional delete, so exactly one does) marks that
/// replica's agents disconnected and audits `replica.lost`. On a graceful shutdown it leaves the registry.
struct ReplicaHeartbeat: Service {
    /// How often the heartbeat is renewed.
    static let defaultInterval: Duration = .seconds(2)
    /// How old a heartbeat must be for its replica to count as dead: several missed beats, so that a
    /// replica that is merely slow (a loaded machine, a long garbage-free pause) is not declared dead.
    static let defaultStaleAfter: Duration = .seconds(15)

    let store: SQLStore
    let replica: ReplicaState
    let agentHub: AgentHub
    let changes: ChangeFeed
    let clock: @Sendable () -> Date
    let logger: Logger
    var interval: Duration = ReplicaHeartbeat.defaultInterval
    var staleAfter: Duration = ReplicaHeartbeat.defaultStaleAfter
    /// The channels already recorded as this replica's: each is claimed once, not read again every round
    /// (a thousand agents made that 500 reads a second).
    private let claimed = ClaimedChannels()

    /// Registers this replica (replacing a previous run's row of the same name).
    func register() async throws {
        let at = clock()
        try await store.registerReplica(ReplicaRegistration(name: replica.identity.name, agentAddress: replica.identity.agentAddress,
                                                            startedAt: at, heartbeatAt: at))
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await beat()
                do { try await Task.sleep(for: interval) } catch { break }
            }
        }
        do {
            try await store.removeReplica(named: replica.identity.name, heartbeatBefore: nil)
        } catch {
            logger.warning("could not leave the replicas registry; the others will find this replica's heartbeat stale",
                           metadata: ["replica": "\(replica.identity.name)", "error": "\(error)"])
        }
    }

    /// One round: heartbeat, claim the agents held here, clean up after dead replicas.
    func beat() async {
        let name = replica.identity.name
        do {
            if try await !store.heartbeatReplica(named: name, at: clock()) {
                logger.warning("this replica was missing from the registry (another replica found it dead); registering again",
                               metadata: ["replica": "\(name)"])
                try await register()
                // Another replica released this one's agents: every channel is claimed again.
                claimed.forget()
            }
            let channels = await agentHub.connectedChannels
            for (agent, _) in claimed.unclaimed(channels).sorted(by: { $0.key < $1.key })
            where try await store.agentReplica(named: agent) != name {
                try await store.setAgentReplica(named: agent, replica: name)
            }
            claimed.record(channels)
            try await cleanUpDeadReplicas()
        } catch is CancellationError {
            return
        } catch {
            logger.error("the replica heartbeat failed; retrying", metadata: ["replica": "\(name)", "error": "\(error)"])
        }
    }

    private func cleanUpDeadReplicas() async throws {
        let now = clock()
        let limit = now.addingTimeInterval(-Double(staleAfter.components.seconds))
        for dead in try await store.listReplicas() where dead.name != replica.identity.name && dead.heartbeatAt < limit {
            guard try await store.removeReplica(named: dead.name, heartbeatBefore: limit) else { continue }  // another replica won
            let agents = try await AgentRelease.release(heldBy: dead.name, store: store, changes: changes)
            let details = ["agent_address": dead.agentAddress, "last_heartbeat": dead.heartbeatAt.formatted(.iso8601),
                           "agents_disconnected": agents.joined(separator: ","), "noticed_by": replica.identity.name]
            _ = try await store.appendAudit(AuditEntry(actor: Principal.system.name, action: AuditAction.replicaLost, objectType: "replica",
                                                       objectName: dead.name, details: details), at: now)
            logger.error("a replica stopped without leaving (its heartbeat is stale): its agents are marked disconnected until they reconnect",
                         metadata: ["lost_replica": "\(dead.name)", "agents": "\(agents.count)", "replica": "\(replica.identity.name)"])
        }
    }
}

/// The control channels a replica has recorded as its own in the store, by agent.
final class ClaimedChannels: Sendable {
    private let channels = Mutex<[String: UUID]>([:])

    /// Those of `current` not recorded yet: new agents, and agents that reconnected (a new channel).
    func unclaimed(_ current: [String: UUID]) -> [String: UUID] {
        channels.withLock { claimed in current.filter { claimed[$0.key] != $0.value } }
    }

    /// Records `current` as claimed (channels that closed are forgotten).
    func record(_ current: [String: UUID]) {
        channels.withLock { $0 = current }
    }

    /// Forgets every claim.
    func forget() {
        channels.withLock { $0 = [:] }
    }
}
