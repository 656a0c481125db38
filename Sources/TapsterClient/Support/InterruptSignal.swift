import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM, as a stream of events instead of the default of dying at once — so that a capture
/// can be stopped cleanly and its file still ends with its statistics, as tcpdump's does (it cleans up on both:
/// `timeout 60 tapster capture …` and `kill` send SIGTERM). Also ignores SIGPIPE, so that a pipe whose reader exits is
/// an `EPIPE` error rather than death.
public final class InterruptSignal {
    /// The signals taken.
    static let signals = [SIGINT, SIGTERM]
    /// One element per signal received.
    public let events: AsyncStream<Void>
    private let sources: [any DispatchSourceSignal]

    public init() {
        for number in Self.signals { signal(number, SIG_IGN) }
        signal(SIGPIPE, SIG_IGN)
        let (events, continuation) = AsyncStream.makeStream(of: Void.self)
        self.events = events
        sources = Self.signals.map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
    }

    /// Restores the defaults: SIGINT and SIGTERM end the process.
    public func cancel() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
