import Foundation

/// Polls `condition` every `interval` until it returns a value, and returns it; gives up after `timeout`.
/// The default timeout is generous (it only bounds a failing test): on a loaded 2-core machine running the
/// whole suite at once, things that take milliseconds alone have taken several seconds.
///
/// Time this waiter could not run does not count: when a sleep of `interval` overshoots by more than
/// `starvationTolerance`, the cooperative pool was busy with other tests, and whatever the condition waits for
/// (often a task on that same pool) could not run either — so the overshoot extends the deadline, by at most
/// another `timeout`. Without that, a waiter woken after a long stall saw the deadline passed before the task
/// it waited for had run once (CI: "timed out after 45 s waiting for the first inventory" of a scan that takes
/// microseconds).
/// - Throws: ``TimedOut``, or what `condition` throws.
@discardableResult
public func eventually<T: Sendable>(timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(50),
                             _ what: String, _ condition: () async throws -> T?) async throws -> T {
    let clock = ContinuousClock()
    var deadline = clock.now.advanced(by: timeout)
    let latestDeadline = deadline.advanced(by: timeout)
    while true {
        if let value = try await condition() { return value }
        guard clock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
        let asleep = clock.now
        try await Task.sleep(for: interval)
        let overshoot = clock.now - asleep - interval
        if overshoot > starvationTolerance {
            deadline = min(deadline.advanced(by: overshoot), latestDeadline)
        }
    }
}

/// How late a poll's wake-up may be before the delay counts as starvation rather than waiting.
let starvationTolerance: Duration = .milliseconds(500)

/// A condition did not hold in time.
public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public init(what: String, timeout: Duration) {
        self.what = what
        self.timeout = timeout
    }
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}
