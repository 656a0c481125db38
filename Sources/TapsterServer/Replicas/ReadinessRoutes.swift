import Foundation
import Hummingbird
import Synchronization
import TapsterStore

/// `GET /readyz`: whether this replica should receive traffic — which replica answers, whether its
/// database answers, whether it hears the other replicas' changes and whether its agent channel listens. Unauthenticated (load balancers
/// and orchestrators ask it), so it says nothing else. 200 when ready, 503 with the same body when not.
struct ReadinessRoutes {
    /// The answer, for people and probes alike.
    struct Readiness: Codable, Equatable, Sendable {
        var ready: Bool
        var replica: String
        /// `reachable` or `unreachable`.
        var database: String
        /// ``ReplicaState/FeedState``: `listening`, `not_needed` (SQLite), `connecting` or `lost`.
        var changeFeed: String
        /// `listening`, `starting` (agents cannot connect yet) or `not_served`.
        var agentChannel: String

        enum CodingKeys: String, CodingKey {
            case ready, replica, database
            case changeFeed = "change_feed"
            case agentChannel = "agent_channel"
        }
    }

    /// How long the database may take to answer before this replica counts as not ready.
    static let databaseTimeout: Duration = .seconds(2)

    let store: any Store
    let replica: ReplicaState

    func register(on router: Router<TapsterRequestContext>) {
        router.get("readyz") { _, _ in
            let readiness = await check()
            return try JSONCoding.response(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        }
    }

    func check() async -> Readiness {
        Self.readiness(databaseReachable: await databaseAnswers(), of: replica)
    }

    /// The answer of `replica` whose database answered (`databaseReachable`) or not.
    static func readiness(databaseReachable reachable: Bool, of replica: ReplicaState) -> Readiness {
        let feed = replica.feedState
        let agents = replica.agentChannelReady
        return Readiness(ready: reachable && (feed == .listening || feed == .notNeeded) && agents, replica: replica.identity.name,
                         database: reachable ? "reachable" : "unreachable", changeFeed: feed.rawValue,
                         agentChannel: !replica.servesAgents ? "not_served" : agents ? "listening" : "starting")
    }

    /// Whether the store answers within ``databaseTimeout``. The ping is left behind when it is late
    /// (a pool waiting for a connection may hold it for a minute); the probe is answered at once.
    private func databaseAnswers() async -> Bool {
        let store = self.store
        let answer = FirstAnswer()
        return await withCheckedContinuation { continuation in
            Task {
                let reachable = (try? await store.ping()) != nil
                if answer.claim() { continuation.resume(returning: reachable) }
            }
            Task {
                try? await Task.sleep(for: Self.databaseTimeout)
                if answer.claim() { continuation.resume(returning: false) }
            }
        }
    }
}

/// Lets exactly one of several racing tasks resume a continuation.
private final class FirstAnswer: Sendable {
    private let taken = Atomic<Bool>(false)

    func claim() -> Bool {
        !taken.exchange(true, ordering: .acquiringAndReleasing)
    }
}
