import Foundation
import Synchronization

/// What this replica knows of its own health, for `/readyz` and `/metrics`: who it is, whether it hears
/// the other replicas' changes, and how many notifications crossed.
public final class ReplicaState: Sendable {
    /// Whether this replica hears the changes other replicas commit.
    public enum FeedState: String, Sendable {
        /// SQLite: one process is the whole server, nothing to hear.
        case notNeeded = "not_needed"
        /// Opening the listening connection for the first time.
        case connecting
        /// Listening: other replicas' changes arrive.
        case listening
        /// The listening connection was lost; reconnecting (changes meanwhile are missed, then re-read).
        case lost
    }

    public let identity: ReplicaIdentity
    /// Random per start: tells this process's own notifications apart even from a namesake's.
    public let instance: String
    private let feed: Mutex<FeedState>
    private let sent = Atomic<UInt64>(0)
    private let received = Atomic<UInt64>(0)
    private let reconnects = Atomic<UInt64>(0)
    /// Whether this replica serves agents (`tapster serve` does; an application made in a test may not).
    public let servesAgents: Bool
    private let agentsListening = Atomic<Bool>(false)

    /// - Parameters:
    ///   - relayed: whether changes cross to other replicas (PostgreSQL).
    ///   - servesAgents: whether it is ready only once its agent channel listens.
    public init(identity: ReplicaIdentity, relayed: Bool, servesAgents: Bool = false) {
        self.identity = identity
        self.instance = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).description
        self.feed = Mutex(relayed ? .connecting : .notNeeded)
        self.servesAgents = servesAgents
    }

    /// Whether agents can connect: its agent channel listens, or it serves none.
    public var agentChannelReady: Bool { !servesAgents || agentsListening.load(ordering: .relaxed) }

    /// Records that the agent channel listens (a restarted server's agents can reconnect from now on).
    func agentChannelListens() { agentsListening.store(true, ordering: .relaxed) }

    /// A replica alone (tests, tools): SQLite-like, nothing to hear.
    public static func standalone(name: String = "local") -> ReplicaState {
        // A fixed, valid name and address: cannot fail.
        ReplicaState(identity: try! ReplicaIdentity(name: name, agentAddress: "127.0.0.1:0"), relayed: false)
    }

    public var feedState: FeedState { feed.withLock { $0 } }

    /// Sets the feed's state; returns the previous one.
    @discardableResult
    func setFeed(_ state: FeedState) -> FeedState {
        feed.withLock { current in
            defer { current = state }
            return current
        }
    }

    /// Notifications (payloads) sent to the other replicas.
    public var notificationsSent: UInt64 { sent.load(ordering: .relaxed) }
    /// Notifications received from the other replicas (this replica's own not counted).
    public var notificationsReceived: UInt64 { received.load(ordering: .relaxed) }
    /// Times the listening connection was re-established after being lost.
    public var feedReconnects: UInt64 { reconnects.load(ordering: .relaxed) }

    func countSent(_ count: Int) { sent.add(UInt64(count), ordering: .relaxed) }
    func countReceived() { received.add(1, ordering: .relaxed) }
    func countReconnect() { reconnects.add(1, ordering: .relaxed) }

    /// The Prometheus families of this replica: its identity, the change feed's traffic, and its process's memory.
    func exposition() -> String {
        var exposition = MetricsExposition()
        exposition.family("tapster_replica_info", .gauge, help: "This replica's name (always 1).",
                          [.init([("replica", identity.name)], 1)])
        exposition.family("tapster_change_notifications_sent_total", .counter,
                          help: "Change-feed notifications this replica sent to the other replicas.", [.init([], notificationsSent)])
        exposition.family("tapster_change_notifications_received_total", .counter,
                          help: "Change-feed notifications this replica received from the other replicas.", [.init([], notificationsReceived)])
        exposition.family("tapster_change_feed_reconnects_total", .counter,
                          help: "Times this replica re-established its lost connection to the other replicas' changes.",
                          [.init([], feedReconnects)])
        exposition.family("tapster_change_feed_listening", .gauge,
                          help: "1 while this replica hears the other replicas' changes (or needs not: SQLite), else 0.",
                          [.init([], feedState == .listening || feedState == .notNeeded ? 1 : 0)])
        // Prometheus' standard name, so that dashboards made for any exporter's processes show each replica's.
        exposition.family("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes of this replica's process.",
                          [.init([], UInt64(ResidentSize.bytes()))])
        return exposition.text
    }
}
