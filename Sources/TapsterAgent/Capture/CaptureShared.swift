import CNetns
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import PacketKit
import Synchronization

/// What a ``CaptureSession`` and its capture thread share: counters the thread publishes with atomic
/// stores after each dispatch round (read any time, no lock), the stop flag and its wake-up descriptor,
/// and the session's state with whoever waits for it (behind a mutex the hot path never takes).
final class CaptureShared: Sendable {
    let packets = Atomic<UInt64>(0)
    let bytes = Atomic<UInt64>(0)
    let kernelDrops = Atomic<UInt64>(0)
    let capDrops = Atomic<UInt64>(0)
    let sendDrops = Atomic<UInt64>(0)
    let stopRequested = Atomic<Bool>(false)
    /// Every packet captured before this time (ns since the epoch) has been handed to the sink and flushed:
    /// what an idle stream tells the server's merge ("nothing older will come from me"). 0 until the first
    /// wake-up. Stored with release ordering after the flush, so a reader that loads it (acquiring) and then
    /// takes the upload's queue has every packet before it.
    let watermark = Atomic<UInt64>(0)
    /// An eventfd the thread polls beside libpcap's descriptor; `stop()` makes it readable. -1 when the
    /// system refused one (the thread then fails at once). Closed when both session and thread are done.
    let wakeDescriptor: Int32
    /// A program to capture with from the thread's next wake-up on (``CaptureSession/replaceFilter(_:)``), and
    /// whether one waits (read by the thread without the lock).
    let filterUpdate = Mutex<BPFProgram?>(nil)
    let hasFilterUpdate = Atomic<Bool>(false)
    /// How many waiting programs the thread has taken and given to libpcap (accepted or not): the moment after which
    /// a new packet meets the new program.
    let filtersTaken = Atomic<Int>(0)

    private let life = Mutex(Life())

    private struct Life {
        var state: CaptureState = .starting
        var launched = false
        var linkType: LinkType?
        var startWaiters: [@Sendable (CaptureError?) -> Void] = []
        var endWaiters: [UInt64: @Sendable (CaptureState) -> Void] = [:]
        var nextWaiter: UInt64 = 0
    }

    init() {
        wakeDescriptor = cnetns_eventfd()
    }

    deinit {
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
    }

    var counters: CaptureCounters {
        CaptureCounters(packets: packets.load(ordering: .relaxed), bytes: bytes.load(ordering: .relaxed),
                        kernelDrops: kernelDrops.load(ordering: .relaxed), capDrops: capDrops.load(ordering: .relaxed),
                        sendDrops: sendDrops.load(ordering: .relaxed))
    }

    var state: CaptureState { life.withLock { $0.state } }
    var linkType: LinkType? { life.withLock { $0.linkType } }

    /// What `start` should do after registering its waiter.
    enum StartDecision {
        /// First call: launch the thread; the waiter is called when it is running or has failed.
        case launch
        /// The thread is already launched; the waiter has been queued or called.
        case waiting
    }

    /// Queues `waiter` for the outcome of starting (nil once running, the error if it failed), or calls it at
    /// once when that is already known; tells the first caller to launch the thread.
    func registerStart(_ waiter: @escaping @Sendable (CaptureError?) -> Void) -> StartDecision {
        let (decision, known): (StartDecision, CaptureError??) = life.withLock { life in
            switch life.state {
            case .running, .stopped: return (.waiting, .some(nil))
            case .failed(let error): return (.waiting, .some(error))
            case .starting:
                life.startWaiters.append(waiter)
                if life.launched { return (.waiting, nil) }
                life.launched = true
                return (.launch, nil)
            }
        }
        if case .some(let outcome) = known { waiter(outcome) }
        return decision
    }

    /// Marks the session stopped before its thread was ever launched; false when it had been launched.
    func stopUnlaunched() -> Bool {
        let stopped = life.withLock { life -> Bool in
            guard !life.launched else { return false }
            life.launched = true
            return true
        }
        if stopped { finish(.stopped(.requested)) }
        return stopped
    }

    /// Called by the thread once libpcap is capturing.
    func markRunning(linkType: LinkType) {
        let waiters = life.withLock { life -> [@Sendable (CaptureError?) -> Void] in
            guard case .starting = life.state else { return [] }
            life.state = .running
            life.linkType = linkType
            defer { life.startWaiters = [] }
            return life.startWaiters
        }
        for waiter in waiters { waiter(nil) }
    }

    /// Records the final state (once) and calls everyone waiting.
    func finish(_ final: CaptureState) {
        let (startWaiters, endWaiters) = life.withLock { life -> ([@Sendable (CaptureError?) -> Void], [@Sendable (CaptureState) -> Void]) in
            guard !life.state.hasEnded else { return ([], []) }
            life.state = final
            defer {
                life.startWaiters = []
                life.endWaiters = [:]
            }
            return (life.startWaiters, life.endWaiters.sorted { $0.key < $1.key }.map(\.value))
        }
        let startOutcome: CaptureError? = if case .failed(let error) = final { error } else { nil }
        for waiter in startWaiters { waiter(startOutcome) }
        for waiter in endWaiters { waiter(final) }
    }

    /// Calls `handler` with the final state when the session ends (at once if it has); returns a token for
    /// ``removeEndWaiter(_:)``, or nil when it was called at once.
    @discardableResult
    func addEndWaiter(_ handler: @escaping @Sendable (CaptureState) -> Void) -> UInt64? {
        let (token, ended): (UInt64?, CaptureState?) = life.withLock { life in
            if life.state.hasEnded { return (nil, life.state) }
            let token = life.nextWaiter
            life.nextWaiter += 1
            life.endWaiters[token] = handler
            return (token, nil)
        }
        if let ended { handler(ended) }
        return token
    }

    /// Forgets a waiter; returns it if it had not been called yet.
    func removeEndWaiter(_ token: UInt64) -> (@Sendable (CaptureState) -> Void)? {
        life.withLock { $0.endWaiters.removeValue(forKey: token) }
    }

    /// Waits until the capture ends and returns its final state.
    /// - Throws: `CancellationError` when the waiting task is cancelled (the capture itself goes on).
    func ended() async throws -> CaptureState {
        let slot = ContinuationSlot<CaptureState>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                slot.fill(continuation)
                if let token = addEndWaiter({ slot.resume(returning: $0) }) { slot.token = token }
                if Task.isCancelled { slot.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            slot.resume(throwing: CancellationError())
            if let token = slot.token { _ = self.removeEndWaiter(token) }
        }
    }

    /// Asks the thread to stop and wakes it.
    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        if wakeDescriptor >= 0 { _ = cnetns_eventfd_signal(wakeDescriptor) }
    }
}
