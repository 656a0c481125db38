import Foundation
import Synchronization
import TapsterCore

/// The latest counters each agent reported for each tap, in memory, for `/metrics`. Entries of taps
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

    /// Every series reported since `now - retention`, by tap then agent; older ones are forgotten.
    func current(at now: Date) -> [Entry] {
        entries.withLock { entries in
            entries = entries.filter { now.timeIntervalSince($0.value.status.updatedAt) <= Self.retention }
            return entries.values.sorted { ($0.tapID, $0.status.agent) < ($1.tapID, $1.status.agent) }
        }
    }
}
