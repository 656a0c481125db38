import Foundation

/// Polls `condition` every `interval` until it returns a value, and returns it; never waits past `timeout`.
/// The default timeout is generous (it only bounds a failing test): on a loaded 2-core machine running the
/// whole suite at once, things that take milliseconds alone have taken several seconds.
/// - Throws: ``TimedOut``, or what `condition` throws.
@discardableResult
public func eventually<T: Sendable>(timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(50),
                             _ what: String, _ condition: () async throws -> T?) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if let value = try await condition() { return value }
        guard clock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

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
