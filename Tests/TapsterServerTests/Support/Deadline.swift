import Foundation

/// Polls `condition` until it holds or `timeout` passes; never sleeps blindly past the deadline.
func eventually<T: Sendable>(timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(50),
                             _ what: String, _ condition: @Sendable () async throws -> T?) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if let value = try await condition() { return value }
        guard clock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    let timeout: Duration
    var description: String { "timed out after \(timeout) waiting for \(what)" }
}
