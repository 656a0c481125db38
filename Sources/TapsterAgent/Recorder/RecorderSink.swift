import PacketKit
import Synchronization

/// The sink of a recorder's capture of one source: every packet goes into the source's ``PacketRing`` and to
/// each capture looking back that it serves (``LookBackConsumer``).
///
/// A look-back joins on the recorder's own capture thread, at the end of a round: the ring's packets since the
/// capture's start time are handed over, then the capture is attached and gets every later packet. One thread
/// does both, between two packets, so each packet reaches the capture exactly once — from the ring or live —
/// and none falls between. The capture's own BPF runs in userspace on both paths.
package final class RecorderSink: PacketSink, @unchecked Sendable {
    private var ring: PacketRing
    /// How long a packet stays: the recorder's window, and a grace for a look-back that arrives a little after
    /// its capture's start (≤ 1 s, the capture thread's idle flush, plus the control channel).
    private let keep: UInt64
    private var consumers: [LookBackConsumer] = []
    /// Look-backs waiting to join (from the reconciler), taken by the capture thread at its next flush.
    private let joining = Mutex<[LookBackConsumer]>([])
    private let hasJoining = Atomic<Bool>(false)
    /// Kernel-drop samples of the recorder's capture (time ns, total), oldest first: what a look-back counts as
    /// the recorder's drops within its window.
    private let dropSamples = Mutex<[(time: UInt64, drops: UInt64)]>([])
    /// A new capacity for the ring (from the reconciler, ``resize(to:)``), applied by the capture thread at its
    /// next flush; 0: none asked.
    private let requestedCapacity = Atomic<Int>(0)

    /// Published after each round for the status report.
    let status = RecorderRingStatus()

    /// The grace beyond the window: a look-back joins at most this long after its capture started.
    static let grace: UInt64 = 2_000_000_000

    package init(capacity: Int, windowNanoseconds: UInt64) {
        ring = PacketRing(capacity: capacity)
        keep = windowNanoseconds &+ Self.grace
        status.reserved.store(UInt64(ring.capacity), ordering: .relaxed)
    }

    package func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        ring.append(bytes, originalLength: originalLength, timestampNanoseconds: timestampNanoseconds)
        // By index: no iterator (a debug build's made one allocation per packet).
        var index = 0
        while index < consumers.count {
            consumers[index].offer(bytes, originalLength: originalLength, timestampNanoseconds: timestampNanoseconds)
            index += 1
        }
    }

    package func flush() -> Int {
        let now = WallClock.nanoseconds()
        let requested = requestedCapacity.load(ordering: .acquiring)
        if requested != 0 {
            ring.resize(to: requested)
            status.reserved.store(UInt64(ring.capacity), ordering: .relaxed)
            // Unless another size was asked meanwhile (applied at the next flush).
            _ = requestedCapacity.compareExchange(expected: requested, desired: 0, ordering: .releasing)
        }
        if hasJoining.load(ordering: .acquiring) { join() }
        if !consumers.isEmpty {
            var index = 0
            while index < consumers.count {
                let consumer = consumers[index]
                if consumer.isOver(now: now) {
                    consumer.finishNow()
                    consumers.remove(at: index)
                } else {
                    consumer.flush()
                    index += 1
                }
            }
        }
        if now > keep { ring.expire(before: now - keep) }
        publish()
        return 0
    }

    package func close() {
        for consumer in consumers { consumer.finish(.stopped(.requested)) }
        consumers = []
        for consumer in joining.withLock({ pending in defer { pending = [] }; return pending }) {
            consumer.finish(.stopped(.requested))
        }
        publish()
    }

    /// Asks the capture thread to move the ring to `capacity` bytes at its next flush (the recorder's share changed),
    /// keeping the newest packets that fit and the look-backs attached. True when the ring shrinks.
    package func resize(to capacity: Int) -> Bool {
        let target = PacketRing.rounded(capacity)
        let current = Int(clamping: status.reserved.load(ordering: .relaxed))
        // A size equal to the applied one still replaces a request not yet applied: a growth asked for and then
        // undone before the capture thread's next flush must not be applied after all (the rings would together
        // exceed the recorder's bytes). Resizing a ring to its own size changes nothing.
        guard target != current || requestedCapacity.load(ordering: .acquiring) != 0 else { return false }
        requestedCapacity.store(target, ordering: .releasing)
        return target < current
    }

    /// Whether a resize asked for has not been applied yet.
    var resizePending: Bool { requestedCapacity.load(ordering: .acquiring) != 0 }

    /// Queues a look-back; it joins at the end of the capture thread's current round (or its next idle flush).
    package func attach(_ consumer: LookBackConsumer) {
        joining.withLock { $0.append(consumer) }
        hasJoining.store(true, ordering: .releasing)
    }

    /// Records the recorder's kernel drops so far (once a second, from the status report), for a window's worth.
    func sampleDrops(_ total: UInt64, at time: UInt64) {
        let oldest = time > keep ? time - keep : 0
        dropSamples.withLock { samples in
            samples.append((time, total))
            // The latest sample before the oldest a look-back can ask for stays: it is that look-back's baseline.
            while samples.count > 1, samples[1].time <= oldest { samples.removeFirst() }
        }
    }

    /// The recorder's kernel drops before `since` (the latest sample at or before it; 0 without one).
    private func drops(before since: UInt64) -> UInt64 {
        dropSamples.withLock { samples in samples.last { $0.time <= since }?.drops ?? samples.first?.drops ?? 0 }
    }

    /// On the capture thread: hands each joining look-back the ring's packets since its start, then attaches it.
    private func join() {
        let pending = joining.withLock { pending in
            defer { pending = [] }
            hasJoining.store(false, ordering: .relaxed)
            return pending
        }
        for consumer in pending {
            consumer.capture.kernelDropsBaseline.store(drops(before: consumer.since), ordering: .relaxed)
            ring.forEach(since: consumer.since) { bytes, original, timestamp in
                consumer.offer(bytes, originalLength: original, timestampNanoseconds: timestamp)
            }
            consumer.flush()
            consumer.capture.attached.store(true, ordering: .releasing)
            consumer.capture.shared.markRunning(linkType: consumer.linkType)
            consumers.append(consumer)
        }
    }

    private func publish() {
        status.bytesHeld.store(UInt64(ring.bytesHeld), ordering: .relaxed)
        status.packetsHeld.store(UInt64(ring.packets), ordering: .relaxed)
        status.oldest.store(ring.oldestTimestamp ?? 0, ordering: .relaxed)
        status.captured.store(ring.captured, ordering: .relaxed)
        status.evicted.store(ring.evicted, ordering: .relaxed)
        status.expired.store(ring.expired, ordering: .relaxed)
    }
}

/// A recorder ring's figures, published by its capture thread after each round and read by the status report.
final class RecorderRingStatus: Sendable {
    let reserved = Atomic<UInt64>(0)
    let bytesHeld = Atomic<UInt64>(0)
    let packetsHeld = Atomic<UInt64>(0)
    /// The oldest packet's timestamp (ns since the epoch), 0 when empty.
    let oldest = Atomic<UInt64>(0)
    let captured = Atomic<UInt64>(0)
    let evicted = Atomic<UInt64>(0)
    let expired = Atomic<UInt64>(0)
}
