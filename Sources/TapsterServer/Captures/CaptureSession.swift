import Foundation
import NIOCore
import TapsterCore
import TapsterWire

/// What a capture session asks the broker to do after a step: report counters, stop the tap, record
/// the end.
enum CaptureEffect: Sendable {
    /// Counters so far.
    case progress(CaptureSummary)
    /// The session ended the capture by itself: its tap must stop.
    case ended(CaptureEndReason)
    /// The pcapng is complete (its last bytes are queued for the reader).
    case finished(CaptureSummary)
}

/// One live capture: its ``CaptureMerge``, the bounded queue of pcapng bytes its one reader (the HTTP
/// stream, or the upload to the capture store) drains, and where it stands:
/// `running → draining (told to end: wait for agents' last batches, at most the drain grace; or every agent
/// ended by itself: wait at most the rejoin grace for one to come back) → finished (ISBs written) → closed
/// (the reader gets the end of the stream)`.
///
/// Every step returns ``CaptureEffect``s for the broker to carry out, so the session never waits on
/// the control plane while it holds packets.
actor CaptureSession {
    enum Phase: Equatable {
        case running
        case draining(CaptureEndReason, since: UInt64)
        case finished(CaptureEndReason)

        /// Every agent seen sent its last batch by itself, and the capture waits (the rejoin grace) for one to come back.
        var isWaitingForAgents: Bool {
            if case .draining(.agentsFinished, _) = self { return true }
            return false
        }
    }

    /// Its one reader: not yet come (since when), reading, gone for good, or done (read the end).
    enum ReaderState: Equatable {
        case waiting(since: UInt64)
        case attached
        case gone
        case done
    }

    /// Timings, in nanoseconds.
    struct Timing: Sendable {
        var readerGrace: UInt64
        var drainGrace: UInt64
        /// How long a capture whose agents all ended by themselves waits for one to come back (``CaptureSettings/rejoinGrace``).
        var rejoinGrace: UInt64
        var progressInterval: UInt64
        /// After this long without output, a streamed capture's reader gets a keepalive block.
        var keepaliveInterval: UInt64 = 2_000_000_000
    }

    /// An empty Name Resolution Block (only `nrb_record_end`): valid anywhere in a section, and ignored by
    /// readers. A streamed capture that has nothing to send writes one now and then, because only a
    /// write notices that the reader went away (the HTTP server allows half-closed connections, so a
    /// client's close is not seen otherwise).
    static let keepalive: [UInt8] = [4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0]

    let id: String
    let mode: CaptureMode
    /// The tap's deadline, ns since the epoch.
    let deadline: UInt64
    private let timing: Timing
    private var merge: CaptureMerge
    private(set) var phase: Phase = .running
    private(set) var reader: ReaderState
    private var queue = CircularBuffer<ByteBuffer>(initialCapacity: 64)
    private(set) var queuedBytes = 0
    /// The most bytes ever held (merge plus queue), for tests and the stalled-reader proof.
    private(set) var peakHeldBytes = 0
    private var closed = false
    private var waiter: CheckedContinuation<ByteBuffer?, Never>?
    private var lastProgress: UInt64
    /// When bytes were last queued for the reader (as of the last tick), and whether some were since.
    private var lastOutput: UInt64
    private var queuedSinceTick = false
    /// Keepalive bytes sent, part of the stream's size.
    private var keepaliveBytes: Int64 = 0
    private let allocator = ByteBufferAllocator()

    init(id: String, mode: CaptureMode, deadline: UInt64, merge: CaptureMerge, timing: Timing, now: UInt64) {
        self.id = id
        self.mode = mode
        self.deadline = deadline
        self.merge = merge
        self.timing = timing
        self.reader = .waiting(since: now)
        self.lastProgress = now
        self.lastOutput = now
    }

    /// Bytes held now: packets in the merge plus output not yet read.
    var heldBytes: Int { merge.heldBytes + queuedBytes }

    // MARK: Input

    /// Takes an agent's batch.
    func ingest(agent: String, _ batch: Tapster_Agent_V1_PacketBatch, now: UInt64) -> [CaptureEffect] {
        guard !isFinished else { return [] }
        merge.ingest(agent: agent, batch, queued: queuedBytes, now: now)
        pump()
        var effects: [CaptureEffect] = []
        if let limit = merge.limitReached, phase == .running || phase.isWaitingForAgents {
            phase = .draining(limit, since: now)
            effects.append(.ended(limit))
        } else if merge.allSourcesFinished, phase == .running {
            // Every agent seen so far sent its last batch; one may still join or come back (a rescheduled
            // workload): wait the rejoin grace.
            phase = .draining(.agentsFinished, since: now)
        } else if phase.isWaitingForAgents, !merge.allSourcesFinished {
            phase = .running
        }
        return effects + finishIfDue(now)
    }

    /// Flushes quiet periods, and checks the deadline, the reader's arrival and the drain grace.
    func tick(now: UInt64) -> [CaptureEffect] {
        guard !isFinished else { return [] }
        merge.advance(to: now)
        pump()
        var effects: [CaptureEffect] = []
        if phase == .running || phase.isWaitingForAgents, now >= deadline {
            phase = .draining(.deadline, since: now)
        }
        if case .waiting(let since) = reader, now >= since &+ timing.readerGrace {
            effects += readerGone(now: now)
        }
        if queuedSinceTick {
            lastOutput = now
            queuedSinceTick = false
        } else if mode == .stream, reader == .attached, queue.isEmpty, now >= lastOutput &+ timing.keepaliveInterval {
            lastOutput = now
            Self.keepalive.withUnsafeBytes { enqueue($0) }
            keepaliveBytes += Int64(Self.keepalive.count)
            queuedSinceTick = false
        }
        if now >= lastProgress &+ timing.progressInterval {
            lastProgress = now
            effects.append(.progress(summary(reason: nil, at: now)))
        }
        return effects + finishIfDue(now)
    }

    /// Told to end (its tap stopped or expired, or it was deleted): waits for agents' last batches. When
    /// the server shuts down it ends at once, and its tap is to be stopped (`stopsTap`).
    func end(_ reason: CaptureEndReason, now: UInt64, stopsTap: Bool = false) -> [CaptureEffect] {
        guard phase == .running || phase.isWaitingForAgents else { return finishIfDue(now) }
        phase = .draining(reason, since: now)
        return (stopsTap ? [.ended(reason)] : []) + finishIfDue(now)
    }

    /// The reader went away or never came (`client_gone`), its right to the packets ended
    /// (`reader_revoked`), or the upload failed (`failed`): the output is discarded and the capture ends.
    func readerGone(now: UInt64, because reason: CaptureEndReason = .clientGone) -> [CaptureEffect] {
        guard reader != .gone, reader != .done else { return [] }
        reader = .gone
        queue.removeAll()
        queuedBytes = 0
        resumeWaiter(nil)
        var effects: [CaptureEffect] = []
        if phase == .running || phase.isWaitingForAgents {
            effects.append(.ended(reason))
        }
        if !isFinished { phase = .draining(reason, since: now) }
        return effects + finishIfDue(now)
    }

    // MARK: Output

    /// Makes the caller the reader; only one, once.
    func attachReader() throws(TapsterError) {
        switch reader {
        case .waiting: reader = .attached
        case .attached: throw TapsterError(.inUse, "capture \(id) is already being read; it has one reader")
        case .gone, .done: throw TapsterError(.invalidState, "capture \(id) has ended; its stream can no longer be read")
        }
    }

    /// The next chunk of pcapng, waiting for one; nil at the end of the stream (or when the caller is
    /// cancelled).
    func next() async -> ByteBuffer? {
        if queue.isEmpty { pump() }
        if let chunk = takeChunk() { return chunk }
        if closed || reader == .gone || reader == .done {
            if reader == .attached { reader = .done }
            return nil
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
                if Task.isCancelled { continuation.resume(returning: nil) } else { waiter = continuation }
            }
        } onCancel: {
            Task { await self.resumeWaiter(nil) }
        }
    }

    /// Ends the stream once the queued bytes are read (after the end is recorded).
    func close() {
        closed = true
        if queue.isEmpty { resumeWaiter(nil) }
    }

    /// The counters now (or at the end).
    func summary(at now: Date) -> CaptureSummary {
        summary(reason: endReason, at: now.unixNanoseconds)
    }

    private func summary(reason: CaptureEndReason?, at now: UInt64) -> CaptureSummary {
        var summary = merge.summary(reason: reason, at: Date(unixNanoseconds: now))
        summary.size += keepaliveBytes
        return summary
    }

    /// Why it ended or is ending; nil while it runs.
    var endReason: CaptureEndReason? {
        switch phase {
        case .running: nil
        case .draining(let reason, _), .finished(let reason): reason
        }
    }

    var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    // MARK: Parts

    private func finishIfDue(_ now: UInt64) -> [CaptureEffect] {
        guard case .draining(let reason, let since) = phase else { return [] }
        let prompt = [.packetLimit, .byteLimit, .storedBytesQuota, .clientGone, .readerRevoked, .failed, .serverShutdown].contains(reason)
        let agentsDone = merge.allSourcesFinished && reason != .agentsFinished
        let grace = reason == .agentsFinished ? timing.rejoinGrace : timing.drainGrace
        guard prompt || agentsDone || now >= since &+ grace else { return [] }
        do {
            try merge.finish(at: now)
        } catch {
            // The writer refused an ISB (cannot happen: every interface was described); the packets are out.
        }
        pump()
        phase = .finished(reason)
        let finished = CaptureEffect.finished(summary(reason: reason, at: now))
        // The agents ended it: the tap stops now (for the other reasons it has, or was asked to already).
        return reason == .agentsFinished ? [.ended(.agentsFinished), finished] : [finished]
    }

    /// Moves what the merge wrote into the queue (or discards it when there is no reader any more).
    private func pump() {
        let accepting = reader != .gone && reader != .done
        do {
            try merge.drain { bytes in
                if accepting { enqueue(bytes) }
            }
        } catch {
            // As in finishIfDue: only an undescribed interface is refused, which the merge never writes.
        }
        peakHeldBytes = max(peakHeldBytes, heldBytes)
    }

    /// Queues bytes for the reader, and hands them over at once if it is waiting.
    private func enqueue(_ bytes: UnsafeRawBufferPointer) {
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        queue.append(buffer)
        queuedBytes += bytes.count
        queuedSinceTick = true
        if waiter != nil, let chunk = takeChunk() { resumeWaiter(chunk) }
    }

    private func takeChunk() -> ByteBuffer? {
        guard let chunk = queue.popFirst() else { return nil }
        queuedBytes -= chunk.readableBytes
        return chunk
    }

    private func resumeWaiter(_ chunk: ByteBuffer?) {
        guard let waiter else { return }
        self.waiter = nil
        waiter.resume(returning: chunk)
    }
}

extension Date {
    init(unixNanoseconds: UInt64) {
        self.init(timeIntervalSince1970: TimeInterval(unixNanoseconds) / 1e9)
    }
}
