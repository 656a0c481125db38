import Foundation
import Synchronization

/// Bounds how fast refusals that anyone can provoke — a refused agent enrolment, a download link refused
/// for its signature — reach the audit log, so that an attacker cannot fill it: per (action, subject) at
/// most one event per ``interval``. Nothing is lost without being said: the repeats left out are counted,
/// and the next event recorded for that key carries their number in its details (``suppressedKey``).
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
    }

    init(interval: TimeInterval = 60, capacity: Int = 4_096, clock: @escaping @Sendable () -> Date) {
        self.interval = interval
        self.capacity = capacity
        self.clock = clock
    }

    /// The details to audit a refusal of `action` about `subject` with — `details`, plus the number of
    /// repeats left out since the key's previous event when there were any — or nil when this refusal
    /// is to be left out (and counted).
    func admit(action: String, subject: String, details: [String: String]) -> [String: String]? {
        let now = clock()
        let suppressed: Int? = table.withLock { table in
            var key = Key(action: action, subject: subject)
            if table[key] == nil, table.count >= capacity {
                table = table.filter { $0.value.suppressed > 0 || now.timeIntervalSince($0.value.recorded) < interval }
                if table.count >= capacity { key.subject = Self.overflowSubject }
            }
            guard let entry = table[key] else {
                table[key] = Entry(recorded: now, suppressed: 0)
                return 0
            }
            guard now.timeIntervalSince(entry.recorded) >= interval else {
                table[key]?.suppressed += 1
                return nil
            }
            table[key] = Entry(recorded: now, suppressed: 0)
            return entry.suppressed
        }
        guard let suppressed else { return nil }
        var result = details
        if suppressed > 0 { result[Self.suppressedKey] = String(suppressed) }
        return result
    }
}
