import Dispatch
import Foundation

/// Ctrl-C (SIGINT), as a stream of events instead of the default of dying at once — so that a capture
/// can be stopped cleanly and its file still ends with its statistics. Also ignores SIGPIPE, so that a
/// pipe whose reader exits is an `EPIPE` error rather than death.
public final class InterruptSignal {
    /// One element per SIGINT.
    public let events: AsyncStream<Void>
    private let source: any DispatchSourceSignal

    public init() {
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let (events, continuation) = AsyncStream.makeStream(of: Void.self)
        self.events = events
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
    }

    /// Restores the default: SIGINT ends the process.
    public func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
