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
        var at: Date
    }

    /// Recorder name → host → its latest figures.
    private let entries = Mutex<[String: [String: Entry]]>([:])

    /// Records agent `host`'s report of its recorders, made at `at`.
    func record(host: String, _ reports: [Tapster_Agent_V1_RecorderStatus], at: Date) {
        let nanos = UInt64(max(at.timeIntervalSince1970, 0) * 1_000_000_000)
        entries.withLock { entries in
            for name in entries.keys { entries[name]?[host] = nil }
            for report in reports {
                entries[report.name, default: [:]][host] = Entry(status: RecorderHostStatus(host: host, report, now: nanos), at: at)
            }
            entries = entries.filter { !$0.value.isEmpty }
        }
    }

    /// Each host's latest figures of recorder `name`, by host name.
    func hosts(of name: String, at now: Date) -> [RecorderHostStatus] {
        entries.withLock { entries in
            (entries[name] ?? [:]).values.filter { now.timeIntervalSince($0.at) < Self.retention }.map(\.status).sorted { $0.host < $1.host }
        }
    }

    /// Every (recorder, host) figure, for `/metrics`.
    func all(at now: Date) -> [(recorder: String, status: RecorderHostStatus)] {
        entries.withLock { entries in
            entries.keys.sorted().flatMap { name in
                (entries[name] ?? [:]).values.filter { now.timeIntervalSince($0.at) < Self.retention }
                    .map { (name, $0.status) }.sorted { $0.1.host < $1.1.host }
            }
        }
    }
}
