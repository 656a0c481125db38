import Foundation
import Synchronization
import TapsterCore

/// Bounds how fast refusals that anyone can provoke — a refused agent enrolment, a download link refused
/// for its signature — reach the audit log, so that an attacker cannot fill it: per (action, subject) at
/// most one event per ``interval``. Nothing is lost without being said: the repeats left out are counted,
/// and reported in the details (``suppressedKey``) of the key's next event — the next refusal's, or, when
/// the refusals stop, a copy of the last one that ``overdue()`` hands out once the interval has passed.
///
/// The table is bounded (``capacity``): keys that are quiet and owe no count are forgotten first; when it
/// is still full, a new subject shares one overflow key per action, so the count survives.
final class RefusalAuditLimiter: Sendable {
    /// The details key of the number of repeats left out of the audit since the previous event of a key.
    static let suppressedKey = "suppressed_repeats"
    /// The subject the repeats of new subjects are counted under once the table is full.
    static let overflowSubject = "*"

    /// At most one event per key within this many seconds.
    let interval: TimeInterval
    /// The most keys remembered at once.
    let capacity: Int
    private let clock: @Sendable () -> Date
    private let table = Mutex<[Key: Entry]>([:])

    private struct Key: Hashable {
        var action: String
        var subject: String
    }

    private struct Entry {
        /// When the last event of this key was recorded.
        var recorded: Date
        /// Repeats left out since then.
        var suppressed: Int
        /// The last repeat left out: what a report of the count alone records.
        var last: AuditEntry?
    }

    init(interval: TimeInterval = 60, capacity: Int = 4_096, clock: @escaping @Sendable () -> Date) {
        self.interval = interval
        self.capacity = capacity
        self.clock = clock
    }

    /// The event to record for a refusal about `subject` — `entry`, plus the number of repeats left out
    /// since the key's previous event when there were any — or nil when this refusal is to be left out
    /// (and counted).
    func admit(_ entry: AuditEntry, subject: String) -> AuditEntry? {
        let now = clock()
        let suppressed: Int? = table.withLock { table in
            var key = Key(action: entry.action, subject: subject)
            if table[key] == nil, table.count >= capacity {
                table = table.filter { $0.value.suppressed > 0 || now.timeIntervalSince($0.value.recorded) < interval }
                if table.count >= capacity { key.subject = Self.overflowSubject }
            }
            guard let previous = table[key] else {
                table[key] = Entry(recorded: now, suppressed: 0)
                return 0
            }
            guard now.timeIntervalSince(previous.recorded) >= interval else {
                table[key]?.suppressed += 1
                table[key]?.last = entry
                return nil
            }
            table[key] = Entry(recorded: now, suppressed: 0)
            return previous.suppressed
        }
        guard let suppressed else { return nil }
        return Self.counting(entry, suppressed)
    }

    /// The counts no later refusal has reported, of keys whose interval has passed: for each, its last
    /// left-out refusal with the count in its details. The keys then start a new interval, so each count is
    /// handed out once.
    func overdue() -> [AuditEntry] {
        let now = clock()
        return table.withLock { table in
            var reports: [AuditEntry] = []
            for (key, entry) in table where entry.suppressed > 0 && now.timeIntervalSince(entry.recorded) >= interval {
                if let last = entry.last { reports.append(Self.counting(last, entry.suppressed)) }
                table[key] = Entry(recorded: now, suppressed: 0)
            }
            return reports
        }
    }

    private static func counting(_ entry: AuditEntry, _ suppressed: Int) -> AuditEntry {
        var counted = entry
        if suppressed > 0 { counted.details[suppressedKey] = String(suppressed) }
        return counted
    }
}
