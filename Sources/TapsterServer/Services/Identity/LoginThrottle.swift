import Foundation
import TapsterCore

/// Limits password guessing: at most ``maximumFailures`` failed logins for one name from one
/// address, and ``maximumFailuresPerSource`` for all names from one address, within ``window``;
/// further attempts are refused with `too_many_requests` until the window has passed.
///
/// An attempt is counted *before* its password is verified (``admit(name:source:)``), and forgiven
/// only when it succeeds (``succeeded(_:)``): concurrent guesses all count, so no more than the
/// limit of them ever reach the password check. The table is bounded (``maximumKeys``); a name is
/// counted by at most ``UserSpec``'s longest name, so long names cannot grow it.
actor LoginThrottle {
    static let maximumFailures = 5
    static let maximumFailuresPerSource = 50
    static let window: TimeInterval = 60
    /// The most names and sources remembered at once; beyond it, the entries least recently failed are forgotten
    /// (a source spraying names is stopped by its own limit long before).
    static let maximumKeys = 10_000

    /// One admitted attempt: what ``succeeded(_:)`` forgives.
    struct Attempt: Sendable {
        fileprivate let keys: [String]
        fileprivate let time: Date
    }

    private var failures: [String: [Date]] = [:]
    private let clock: @Sendable () -> Date

    init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// Counts an attempt for `name` from `source`, or refuses it when either has used up its window.
    func admit(name: String, source: String) throws(TapsterError) -> Attempt {
        // A name longer than any user's is counted as that many characters: it cannot be a user's anyway.
        let keys = ["name:\(name.prefix(ResourceName.maximumLength + 1))@\(source)", "source:\(source)"]
        let limits = [Self.maximumFailures, Self.maximumFailuresPerSource]
        for (key, limit) in zip(keys, limits) {
            let recent = prune(key)
            if recent.count >= limit, let oldest = recent.first {
                let wait = Int((oldest.addingTimeInterval(Self.window).timeIntervalSince(clock())).rounded(.up))
                throw TapsterError(.tooManyRequests, "too many failed logins; try again in \(max(wait, 1))s")
            }
        }
        let time = clock()
        for key in keys { failures[key, default: []].append(time) }
        bound()
        return Attempt(keys: keys, time: time)
    }

    /// The attempt's password was right: it is not a failure, and the name's earlier failures are forgotten.
    func succeeded(_ attempt: Attempt) {
        failures[attempt.keys[0]] = nil
        if let index = failures[attempt.keys[1]]?.firstIndex(of: attempt.time) {
            failures[attempt.keys[1]]?.remove(at: index)
        }
    }

    /// How many names and sources are remembered (for tests of the bound).
    var count: Int { failures.count }

    private func bound() {
        guard failures.count > Self.maximumKeys else { return }
        for key in Array(failures.keys) { _ = prune(key) }
        let excess = failures.count - Self.maximumKeys
        guard excess > 0 else { return }
        let oldest = failures.map { ($0.key, $0.value.last ?? .distantPast) }.sorted { $0.1 < $1.1 }.prefix(excess)
        for (key, _) in oldest { failures[key] = nil }
    }

    private func prune(_ key: String) -> [Date] {
        let horizon = clock().addingTimeInterval(-Self.window)
        let recent = (failures[key] ?? []).filter { $0 > horizon }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
