import Foundation
import Synchronization
import TapsterCore
import TapsterWire

/// What agents last reported of each recorder on their hosts, in memory (this replica's agents), for
/// `tapster recorder list` and `/metrics`. An agent's report replaces its earlier one; a host silent for
/// ``retention`` leaves the listing.
final class RecorderStatuses: Sendable {
    /// How long a host's figures stay after its last report.
    static let retention: TimeInterval = 60

    private struct Entry: Sendable {
        var status: RecorderHostStatus
        /// When the oldest packet held was stamped (ns since the epoch; 0: none), to age it when asked: an agent
        /// does not repeat an unchanged report for up to ``StatusPacing/defaultHeartbeat``.
        var oldestUnixNanos: UInt64
        var at: Date

        /// The figures as of `now`.
        func status(at now: Date) -> RecorderHostStatus {
            var status = self.status
            status.oldestAgeMilliseconds = RecorderHostStatus.age(ofOldest: oldestUnixNanos, now: now.unixNanoseconds)
            return status
        }
    }

    /// Recorder name → host → its latest figures.
    private let entries = Mutex<[String: [String: Entry]]>([:])

    /// The most `failures` kept of one recorder's report on one host; the rest are counted in a last entry.
    static let maxFailures = 16
    /// The most characters kept of one failure.
    static let maxFailureLength = 512
    /// At most one warning of dropped reports per this many seconds (the rest are counted in the next).
    static let refusalInterval: TimeInterval = 60

    /// When the last warning of dropped reports was given, and how many were dropped since.
    private let refusals = Mutex<(warned: Date, count: Int)>((.distantPast, 0))

    /// Records agent `host`'s report of its recorders, made at `at` — only reports of recorders planned
    /// for it (the caller checks). Each recorder's `failures` are capped (``maxFailures``, ``maxFailureLength``).
    func record(host: String, _ reports: [Tapster_Agent_V1_RecorderStatus], at: Date) {
        let nanos = at.unixNanoseconds
        entries.withLock { entries in
            for name in entries.keys { entries[name]?[host] = nil }
            for report in reports {
                var status = RecorderHostStatus(host: host, report, now: nanos)
                status.failures = Self.capped(report.failures)
                entries[report.name, default: [:]][host] = Entry(status: status, oldestUnixNanos: report.oldestUnixNanos, at: at)
            }
            entries = entries.filter { !$0.value.isEmpty }
        }
    }

    /// `failures` with at most ``maxFailures`` entries of at most ``maxFailureLength`` characters each; those
    /// left out are counted in the last entry.
    static func capped(_ failures: [String]) -> [String] {
        let limit = failures.count > maxFailures ? maxFailures - 1 : failures.count
        var kept = failures.prefix(limit).map { $0.count > maxFailureLength ? String($0.prefix(maxFailureLength)) + "…" : $0 }
        if failures.count > limit { kept.append("(+\(failures.count - limit) more)") }
        return kept
    }

    /// Counts reports of `names` from `host` dropped at `at` (not planned for it); returns what to warn of —
    /// these names (at most 16, each at most 64 characters) and the reports dropped since the last warning,
    /// these included — at most once per ``refusalInterval``, nil otherwise.
    func refused(host: String, _ names: [String], at: Date) -> (names: [String], count: Int)? {
        refusals.withLock { state in
            state.count += names.count
            guard at.timeIntervalSince(state.warned) >= Self.refusalInterval else { return nil }
            let count = state.count
            state = (at, 0)
            var listed = names.prefix(16).map { String($0.prefix(64)) }
            if names.count > 16 { listed.append("(+\(names.count - 16) more)") }
            return (listed, count)
        }
    }

    /// Each host's latest figures of recorder `name`, by host name.
    func hosts(of name: String, at now: Date) -> [RecorderHostStatus] {
        entries.withLock { entries in
            (entries[name] ?? [:]).values.filter { now.timeIntervalSince($0.at) < Self.retention }.map { $0.status(at: now) }.sorted { $0.host < $1.host }
        }
    }

    /// Every (recorder, host) figure, for `/metrics`.
    func all(at now: Date) -> [(recorder: String, status: RecorderHostStatus)] {
        entries.withLock { entries in
            entries.keys.sorted().flatMap { name in
                (entries[name] ?? [:]).values.filter { now.timeIntervalSince($0.at) < Self.retention }
                    .map { (name, $0.status(at: now)) }.sorted { $0.1.host < $1.1.host }
            }
        }
    }
}
