import Foundation
import Synchronization

/// When each agent was last heard from on this replica, and the desired-set revision it last said it
/// applied — kept in memory and written to the store in batches (``FleetService/flushPresence()``).
///
/// Agents sent a message every second (now at least every 10 s, ``StatusPacing``); writing each one as its own
/// transaction made a fleet of a thousand agents a thousand commits a second, which is what the store spent its
/// time on.
/// An agent's row is written again only when its revision changed or its stored "last seen" is older
/// than ``staleAfter``: `tapster agent list` shows "last seen" to that precision, which is all a person
/// reads from it (whether an agent is connected is its state, written at once on connect and disconnect).
final class AgentPresence: Sendable {
    /// How old a stored "last seen" may grow while the agent keeps talking.
    static let staleAfter: TimeInterval = 30
    /// How often the pending sightings are written.
    static let flushInterval: Duration = .seconds(2)

    /// One agent's latest sighting, and what of it the store holds.
    struct Sighting: Sendable, Equatable {
        var seenAt: Date
        var appliedRevision: UInt64?
        /// What was last written (or read at connect): the store is behind when these differ enough.
        var storedSeenAt: Date?
        var storedRevision: UInt64?

        /// Whether the store should be written: a new revision, or a "last seen" gone stale.
        var isDue: Bool {
            if let appliedRevision, appliedRevision != storedRevision { return true }
            guard let storedSeenAt else { return true }
            return seenAt.timeIntervalSince(storedSeenAt) >= AgentPresence.staleAfter
        }
    }

    private let sightings = Mutex<[String: Sighting]>([:])

    /// Starts following `name` from what its connect wrote to the store.
    func connected(_ name: String, at time: Date, appliedRevision: UInt64?) {
        sightings.withLock {
            $0[name] = Sighting(seenAt: time, appliedRevision: appliedRevision, storedSeenAt: time, storedRevision: appliedRevision)
        }
    }

    /// Records a message from `name` at `time` (a status report also names the revision it applied).
    /// Nothing is recorded for an agent not connected here (its channel closed meanwhile).
    func seen(_ name: String, at time: Date, appliedRevision: UInt64? = nil) {
        sightings.withLock { sightings in
            guard var sighting = sightings[name] else { return }
            sighting.seenAt = max(sighting.seenAt, time)
            if let appliedRevision { sighting.appliedRevision = appliedRevision }
            sightings[name] = sighting
        }
    }

    /// Stops following `name` (its channel closed): nothing of it is written after this.
    func disconnected(_ name: String) {
        _ = sightings.withLock { $0.removeValue(forKey: name) }
    }

    /// The sightings the store is behind on, by agent.
    func due() -> [String: Sighting] {
        sightings.withLock { $0.filter(\.value.isDue) }
    }

    /// Records that `written` reached the store (unless the agent left or was seen again meanwhile: then
    /// the later sighting stays due).
    func stored(_ written: [String: Sighting]) {
        sightings.withLock { sightings in
            for (name, sighting) in written where sightings[name] != nil {
                sightings[name]?.storedSeenAt = sighting.seenAt
                sightings[name]?.storedRevision = sighting.appliedRevision
            }
        }
    }
}
