import Foundation
import Synchronization
import TapsterCore

/// The latest counters each agent reported for each tap, in memory, for `/metrics` (and to tell a
/// status that changed, which is stored, from one that did not). Entries of taps
/// no agent reported for in ``retention`` are dropped, so ended taps leave the exposition.
final class TapCounters: Sendable {
    /// How long a (tap, agent) series stays after its last report.
    static let retention: TimeInterval = 600

    /// One series: the tap, the agent, and what it last reported.
    struct Entry: Sendable, Equatable {
        var tapID: String
        var status: TapAgentStatus
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Records `status` as the latest for (`tapID`, `status.agent`).
    func record(tapID: String, _ status: TapAgentStatus) {
        entries.withLock { $0[tapID + "\u{0}" + status.agent] = Entry(tapID: tapID, status: status) }
    }

    /// Whether the series of (`tapID`, `status.agent`) holds `status` already, but for its time: what the
    /// store holds too, since a status is recorded here after it is stored.
    func holds(tapID: String, _ status: TapAgentStatus) -> Bool {
        entries.withLock { entries in
            guard var held = entries[tapID + "\u{0}" + status.agent]?.status else { return false }
            held.updatedAt = status.updatedAt
            return held == status
        }
    }

    /// Forgets `agent`'s series (its control channel opened again): its next status of each tap is then
    /// stored whatever it holds, so a restarted agent's first report shows as new.
    func forget(agent: String) {
        entries.withLock { $0 = $0.filter { $0.value.status.agent != agent } }
    }

    /// Every series reported since `now - retention`, by tap then agent; older ones are forgotten.
    func current(at now: Date) -> [Entry] {
        entries.withLock { entries in
            entries = entries.filter { now.timeIntervalSince($0.value.status.updatedAt) <= Self.retention }
            return entries.values.sorted { ($0.tapID, $0.status.agent) < ($1.tapID, $1.status.agent) }
        }
    }
}
