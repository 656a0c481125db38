import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import PacketKit
import Synchronization

/// One live capture: libpcap on one interface inside its workload's network namespace, every packet
/// handed to a ``PacketSink``, until the plan's deadline — which the session enforces by itself, with no
/// server involved — or until ``stop()``.
///
/// The session owns one dedicated thread. It enters the namespace, opens the interface (snap length,
/// immediate mode, buffer size, direction, then the BPF filter compiled on the live handle), and loops:
/// `poll` on libpcap's descriptor and a wake-up eventfd with a timeout of at most 100 ms (and never past
/// the deadline), then non-blocking `pcap_dispatch` rounds, each followed by the sink's `flush`. Packets
/// reach the sink through a context object passed to libpcap's callback: nothing is allocated or
/// captured per packet. A bandwidth cap is a ``BandwidthBudget`` fed with capture timestamps, shared by the
/// tap's captures on this host.
///
/// Counters (``counters``) are published with atomic stores after each round and read without locks.
///
/// ```swift
/// let sink = try TunnelSink(encapsulation: .erspanII(sessionID: 7), destination: tool)   // host namespace
/// let session = CaptureSession(plan: plan, sink: sink)
/// try session.start()                  // returns once libpcap captures, or throws libpcap's reason
/// …
/// session.stop()                       // or let the deadline pass
/// let final = try await session.ended() // .stopped(.requested) / .stopped(.deadline) / .failed(…)
/// ```
public final class CaptureSession: Sendable {
    /// What this session captures.
    public let plan: CapturePlan
    private let shared: CaptureShared
    private let budget: BandwidthBudget?
    private let pendingSink: Mutex<(any PacketSink)?>
    private let logger: Logger
    /// The capture thread's stack size (``CaptureLoop/threadStackSize``; tests give one `pthread_attr_setstacksize`
    /// refuses, to see a thread that cannot start).
    private let threadStackSize: Int

    /// Prepares a capture; nothing is opened until ``start()``.
    /// - Parameters:
    ///   - plan: what to capture.
    ///   - sink: where packets go. The session's thread becomes its only user; it is flushed and closed
    ///     when the capture ends (or when the session is dropped without being started).
    ///   - budget: the tap's bandwidth budget on this host, shared by its captures of other interfaces; `nil`:
    ///     a budget of the plan's own ``CapturePlan/bandwidthCap``, when it has one.
    ///   - logger: for the session's start and end (nothing is logged per packet).
    public convenience init(plan: CapturePlan, sink: sending any PacketSink, budget: BandwidthBudget? = nil,
                            logger: Logger = Logger(label: "tapster.capture")) {
        self.init(plan: plan, sink: sink, budget: budget, logger: logger, threadStackSize: CaptureLoop.threadStackSize)
    }

    /// ``init(plan:sink:budget:logger:)`` with the capture thread's stack size.
    init(plan: CapturePlan, sink: sending any PacketSink, budget: BandwidthBudget?, logger: Logger, threadStackSize: Int) {
        self.threadStackSize = threadStackSize
        self.plan = plan
        self.budget = budget ?? plan.bandwidthCap.map(BandwidthBudget.init(bitsPerSecond:))
        self.shared = CaptureShared()
        self.pendingSink = Mutex(sink)
        var logger = logger
        logger[metadataKey: "tap"] = "\(plan.tapID)"
        logger[metadataKey: "source"] = "\(plan.source)"
        self.logger = logger
    }

    /// Every packet captured before this time (ns since the epoch) has reached the sink; 0 before the capture's
    /// first wake-up (see ``CaptureShared/watermark``).
    var watermark: UInt64 { shared.watermark.load(ordering: .acquiring) }

    /// How many programs given to ``replaceFilter(_:)`` the capture thread has given to libpcap so far: once it
    /// grows, packets arriving meet the new program.
    var filtersTaken: Int { shared.filtersTaken.load(ordering: .acquiring) }

    /// A session nobody holds any more cannot be stopped or read: dropping it stops its capture. A session
    /// never started closes its sink, which no thread ever took.
    deinit {
        shared.requestStop()
        pendingSink.withLock { sink in
            sink?.close()
            sink = nil
        }
    }

    /// Where the session is; see ``CaptureState``.
    public var state: CaptureState { shared.state }

    /// The counters so far (final once ``state`` has ended).
    public var counters: CaptureCounters { shared.counters }

    /// The link type libpcap reports for the interface, once running (Ethernet for Linux interfaces).
    public var linkType: LinkType? { shared.linkType }

    /// Has the running capture take `program` (compiled for its ``linkType``) instead of its expression from its
    /// next wake-up on (within the poll interval), keeping its sink and everything in it. A program libpcap
    /// refuses leaves the previous one in place (logged).
    func replaceFilter(_ program: BPFProgram) {
        shared.filterUpdate.withLock { $0 = program }
        shared.hasFilterUpdate.store(true, ordering: .releasing)
    }

    /// Starts the capture thread and blocks the calling thread until libpcap is capturing or has failed —
    /// typically a few milliseconds. Calling it again waits for (or reports) the same outcome; after
    /// ``stop()`` it does nothing.
    /// - Throws: ``CaptureError`` with libpcap's message, e.g. a missing interface or namespace; the state
    ///   is then ``CaptureState/failed(_:)`` with the same error.
    public func start() throws(CaptureError) {
        let semaphore = DispatchSemaphore(value: 0)
        let outcome = Mutex<CaptureError?>(nil)
        begin { error in
            outcome.withLock { $0 = error }
            semaphore.signal()
        }
        semaphore.wait()
        if let error = outcome.withLock({ $0 }) { throw error }
    }

    /// ``start()`` for async callers: suspends instead of blocking a thread of the cooperative pool.
    public func start() async throws(CaptureError) {
        let error: CaptureError? = await withCheckedContinuation { continuation in
            begin { continuation.resume(returning: $0) }
        }
        if let error { throw error }
    }

    /// Ends the capture: the thread wakes at once, flushes and closes the sink and libpcap, and the state
    /// becomes ``CaptureState/StopReason/requested`` — within a few milliseconds (at most one dispatch
    /// round and one `flush`). Returns without waiting; use ``ended()`` or ``onEnd(_:)`` for that.
    /// Idempotent; does nothing once the session has ended.
    public func stop() {
        if shared.stopUnlaunched() {
            pendingSink.withLock { sink in
                sink?.close()
                sink = nil
            }
            return
        }
        shared.requestStop()
    }

    /// Calls `handler` once with the final state when the session ends (on the capture thread, or at once
    /// if it has already ended). Keep it short: it runs before the thread exits.
    public func onEnd(_ handler: @escaping @Sendable (CaptureState) -> Void) {
        shared.addEndWaiter(handler)
    }

    /// Waits until the session ends and returns its final state.
    /// - Throws: `CancellationError` when the waiting task is cancelled (the capture itself goes on).
    public func ended() async throws -> CaptureState {
        try await shared.ended()
    }

    /// Registers `waiter` for the start outcome and launches the thread on the first call.
    private func begin(_ waiter: @escaping @Sendable (CaptureError?) -> Void) {
        guard shared.registerStart(waiter) == .launch else { return }
        guard let sink = pendingSink.withLock({ sink -> (any PacketSink)? in
            defer { sink = nil }
            return sink
        }) else {
            shared.finish(.failed(CaptureError(stage: .thread, reason: "the session's sink is gone", source: plan.source)))
            return
        }
        let loop = CaptureLoop(plan: plan, sink: sink, shared: shared, budget: budget, logger: logger)
        let code = DetachedThread.start(name: "tapster-capture", stackSize: threadStackSize) { loop.run() }
        if code != 0 {
            // The sink is the loop's now: it ends here, as its thread would have, closing the sink.
            loop.endUnstarted(CaptureError(stage: .thread, reason: "cannot start the capture thread: \(String(cString: strerror(code)))",
                                           source: plan.source))
        }
    }
}
