/// Reconnection delays: doubling from `initial` to `maximum`, with up to 20 % random jitter so that agents
/// cut off together do not return together.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    private var next: Duration

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        self.next = initial
    }

    /// The delay before the next attempt; each call doubles the following one, up to the maximum.
    public mutating func nextDelay() -> Duration {
        let delay = next
        next = min(next * 2, maximum)
        let jitter = Double.random(in: 0.8...1.0)
        return delay * jitter
    }

    /// After a success: the next failure waits `initial` again.
    public mutating func reset() { next = initial }
}
