import Foundation
import TapsterCore

/// Limits password guessing: after ``maximumFailures`` failed logins for one name from one
/// address within ``window``, further attempts are refused with `too_many_requests` until
/// the window has passed.
actor LoginThrottle {
    static let maximumFailures = 5
    static let window: TimeInterval = 60

    private var failures: [String: [Date]] = [:]
    private let clock: @Sendable () -> Date

    init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    func check(_ key: String) throws(TapsterError) {
        let recent = prune(key)
        if recent.count >= Self.maximumFailures, let oldest = recent.first {
            let wait = Int((oldest.addingTimeInterval(Self.window).timeIntervalSince(clock())).rounded(.up))
            throw TapsterError(.tooManyRequests, "too many failed logins; try again in \(max(wait, 1))s")
        }
    }

    func failed(_ key: String) {
        failures[key, default: []].append(clock())
        if failures.count > 10_000 { failures = failures.filter { !prune($0.key).isEmpty } }
    }

    func succeeded(_ key: String) {
        failures[key] = nil
    }

    private func prune(_ key: String) -> [Date] {
        let horizon = clock().addingTimeInterval(-Self.window)
        let recent = (failures[key] ?? []).filter { $0 > horizon }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
