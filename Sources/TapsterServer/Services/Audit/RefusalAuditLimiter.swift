import Foundation
import Synchronization
import TapsterCore

/// Bounds how fast refusals that anyone can provoke — a refused agent enrolment, a download link refused
/// for its signature — reach the audit log, so that an attacker cannot fill it, whatever addresses or
/// objects they rotate through:
///
/// - per (action, subject) at most one event per ``interval``;
/// - per action at most ``budget`` events per ``interval`` in all (a token bucket), so the number of rows
///   is bounded even when every refusal has a subject of its own (another source address, another id).
///
/// Nothing is lost without being said: a refusal left out is counted on its key, with its source (an
/// address prefix) and object; the key's next event — the next refusal's, or, when the refusals stop, a
/// report ``overdue()`` hands out once its interval has passed and the budget allows — carries the count
/// (``suppressedKey``), the distinct sources (``sourcesKey``) and, for the overflow key, the objects with
/// their counts (``objectsKey``), so an attacker cannot hide what they attacked behind someone else's refusal.
///
/// The table is bounded (``capacity``): keys that are quiet and owe no count are forgotten first (swept
/// at most once a second); when it is still full, a new subject shares one overflow key per action.
final class RefusalAuditLimiter: Sendable {
    /// The details key of the number of refusals left out of the audit since the key's previous event.
    static let suppressedKey = "suppressed_repeats"
    /// The details key of the distinct sources (address prefixes) of the refusals left out.
    static let sourcesKey = "suppressed_sources"
    /// The details key of the objects of the refusals left out under the overflow key, with their counts.
    static let objectsKey = "suppressed_objects"
    /// The subject the repeats of new subjects are counted under once the table is full.
    static let overflowSubject = "*"
    /// The most distinct sources and objects named in one event (the rest are counted: `(+N more)`).
    static let listed = 16

    /// At most one event per key within this many seconds, and ``budget`` per action.
    let interval: TimeInterval
    /// The most events of one action per ``interval``, whatever their subjects.
    let budget: Int
    /// The most keys remembered at once.
    let capacity: Int
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())

    private struct Key: Hashable {
        var action: String
        var subject: String
    }

    private struct Entry {
        /// When the last event of this key was recorded (`distantPast`: never).
        var recorded: Date = .distantPast
        /// Refusals left out since then.
        var suppressed = 0
        /// The last refusal left out: what a report of the count alone records.
        var last: AuditEntry?
        /// Distinct sources of the refusals left out (at most ``listed``), and how many more there were.
        var sources: [String] = []
        var moreSources = 0
        /// Objects of the refusals left out, with their counts (at most ``listed``), and how many more.
        var objects: [String: Int] = [:]
        var moreObjects = 0
    }

    private struct Bucket {
        var tokens: Double
        var refilled: Date
    }

    private struct State {
        var table: [Key: Entry] = [:]
        var buckets: [String: Bucket] = [:]
        var swept: Date = .distantPast
    }

    init(interval: TimeInterval = 60, budget: Int = 60, capacity: Int = 4_096, clock: @escaping @Sendable () -> Date) {
        self.interval = interval
        self.budget = max(budget, 1)
        self.capacity = capacity
        self.clock = clock
    }

    /// The event to record for a refusal about `subject` from `source` (an address, kept as its prefix) —
    /// `entry`, plus what was left out since the key's previous event — or nil when this refusal is to be
    /// left out (and counted).
    func admit(_ entry: AuditEntry, subject: String, source: String? = nil) -> AuditEntry? {
        let now = clock()
        return state.withLock { state in
            var key = Key(action: entry.action, subject: subject)
            if state.table[key] == nil, state.table.count >= capacity {
                if now.timeIntervalSince(state.swept) >= 1 {
                    state.swept = now
                    state.table = state.table.filter { $0.value.suppressed > 0 || now.timeIntervalSince($0.value.recorded) < interval }
                }
                if state.table.count >= capacity { key.subject = Self.overflowSubject }
            }
            var record = state.table[key] ?? Entry()
            if now.timeIntervalSince(record.recorded) >= interval, take(&state, entry.action, now) {
                let admitted = Self.reporting(entry, record)
                state.table[key] = Entry(recorded: now)
                return admitted
            }
            record.suppressed += 1
            record.last = entry
            Self.note(source.map(Self.prefix), in: &record.sources, more: &record.moreSources)
            if key.subject == Self.overflowSubject {
                let object = entry.objectId ?? entry.objectName ?? subject
                if record.objects[object] != nil || record.objects.count < Self.listed { record.objects[object, default: 0] += 1 } else { record.moreObjects += 1 }
            }
            state.table[key] = record
            return nil
        }
    }

    /// The counts no later refusal has reported, of keys whose interval has passed, as far as each action's
    /// budget allows (the rest wait for the next call): for each, its last left-out refusal with what was
    /// left out in its details. The keys then start a new interval, so each count is handed out once.
    func overdue() -> [AuditEntry] {
        let now = clock()
        return state.withLock { state in
            var reports: [AuditEntry] = []
            for (key, record) in state.table.sorted(by: { $0.value.recorded < $1.value.recorded })
            where record.suppressed > 0 && now.timeIntervalSince(record.recorded) >= interval {
                guard let last = record.last, take(&state, key.action, now) else { continue }
                reports.append(Self.reporting(last, record))
                state.table[key] = Entry(recorded: now)
            }
            return reports
        }
    }

    /// Takes one event of `action` from its budget, refilled at ``budget`` per ``interval``.
    private func take(_ state: inout State, _ action: String, _ now: Date) -> Bool {
        var bucket = state.buckets[action] ?? Bucket(tokens: Double(budget), refilled: now)
        bucket.tokens = min(Double(budget), bucket.tokens + max(0, now.timeIntervalSince(bucket.refilled)) * Double(budget) / interval)
        bucket.refilled = now
        guard bucket.tokens >= 1 else {
            state.buckets[action] = bucket
            return false
        }
        bucket.tokens -= 1
        state.buckets[action] = bucket
        return true
    }

    /// `entry` with what its key left out since its previous event.
    private static func reporting(_ entry: AuditEntry, _ record: Entry) -> AuditEntry {
        var reported = entry
        guard record.suppressed > 0 else { return reported }
        reported.details[suppressedKey] = String(record.suppressed)
        if !record.sources.isEmpty { reported.details[sourcesKey] = listing(record.sources.sorted(), more: record.moreSources) }
        if !record.objects.isEmpty {
            let objects = record.objects.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key):\($0.value)" }
            reported.details[objectsKey] = listing(objects, more: record.moreObjects)
        }
        return reported
    }

    private static func note(_ item: String?, in items: inout [String], more: inout Int) {
        guard let item, !items.contains(item) else { return }
        if items.count < listed { items.append(item) } else { more += 1 }
    }

    private static func listing(_ items: [String], more: Int) -> String {
        items.joined(separator: ",") + (more > 0 ? " (+\(more) more)" : "")
    }

    /// The network an address is counted under: its /24 (IPv4) or /64 (IPv6), since one attacker holds
    /// whole prefixes; anything else as it is.
    static func prefix(_ address: String) -> String {
        guard let parsed = try? IPAddress(parsing: address) else { return address }
        let bytes = parsed.bytes
        if parsed.isIPv4 { return "\(bytes[0]).\(bytes[1]).\(bytes[2]).0/24" }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
