import CNetns
import Glibc
import Logging
import Synchronization

/// The state a ``PortReceiver`` shares with its receive thread, and the thread's loop. The thread keeps the
/// core alive while it runs; the receiver's `deinit` asks it to stop.
final class PortReceiverCore: Sendable {
    private let socket: GREReceiveSocket
    private let wakeDescriptor: Int32
    private let batchCapacity: Int
    private let logger: Logger
    private let registry = LockedPortReceiverRegistry()
    private let stopRequested = Atomic<Bool>(false)
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle {
        var ended = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The largest IPv4 packet: every receive slot holds any packet whole.
    static let slotSize = 65_536

    init(socket: GREReceiveSocket, wakeDescriptor: Int32, batchCapacity: Int, logger: Logger) {
        self.socket = socket
        self.wakeDescriptor = wakeDescriptor
        self.batchCapacity = batchCapacity
        self.logger = logger
    }

    // MARK: Control (any thread)

    func insert(_ reception: PortReception, sink: PortInjectionSink) {
        let replaced = registry.withLock { $0.insert(reception, sink: sink) }
        replaced?.close()
        logger.info("receiving port frames", metadata: ["reception": "\(reception)"])
    }

    func remove(tapID: String) {
        let removed = registry.withLock { $0.remove(tapID: tapID) }
        removed.forEach { $0.close() }
    }

    /// Removes every reception whose key is not in `keys`.
    func retain(keys: Set<UInt32>) {
        let removed = registry.withLock { registry -> [PortInjectionSink] in
            let unwanted = registry.entries.keys.filter { !keys.contains($0) }
            return unwanted.compactMap { registry.entries.removeValue(forKey: $0)?.sink }
        }
        removed.forEach { $0.close() }
    }

    /// Updates the tap and deadline of the reception with `reception`'s key when it delivers into the same
    /// port; false when there is none such.
    func update(_ reception: PortReception) -> Bool {
        registry.withLock { registry in
            guard var entry = registry.entries[reception.greKey], entry.reception.namespace == reception.namespace,
                  entry.reception.interface == reception.interface else { return false }
            entry.reception = reception
            entry.deadlineNanoseconds = reception.deadlineNanoseconds
            entry.allowedSources = Set(reception.allowedSources.map(\.rawValue))
            registry.entries[reception.greKey] = entry
            return true
        }
    }

    var receptions: [PortReception] {
        registry.withLock { $0.entries.values.map(\.reception) }.sorted { $0.greKey < $1.greKey }
    }

    func counters(tapID: String) -> PortReceptionCounters? {
        registry.withLock { $0.entries.values.first { $0.reception.tapID == tapID }?.counters }
    }

    var refusals: PortReceiverRefusals {
        registry.withLock { $0.refusals }
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        lifecycle.withLock { state in
            if !state.ended { _ = cnetns_eventfd_signal(wakeDescriptor) }
        }
    }

    func stop() async {
        requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = lifecycle.withLock { state -> Bool in
                if state.ended { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    // MARK: The receive thread

    func run() {
        let arena = UnsafeMutableRawPointer.allocate(byteCount: batchCapacity * Self.slotSize, alignment: 16)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: batchCapacity)
        var descriptors = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        while !stopRequested.load(ordering: .acquiring) {
            let ready = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, 2, 100) }
            if descriptors[1].revents != 0 {
                var counter: UInt64 = 0
                _ = read(wakeDescriptor, &counter, MemoryLayout<UInt64>.size)
            }
            if stopRequested.load(ordering: .acquiring) { break }
            let now = WallClock.nanoseconds()
            expire(now: now)
            guard ready > 0, descriptors[0].revents & Int16(POLLIN) != 0 else { continue }
            let received = socket.receiveBatch(into: arena, slotSize: Self.slotSize, lengths: lengths, capacity: batchCapacity)
            guard received > 0 else { continue }
            let (before, after) = registry.withLock { registry in
                let before = registry.refusals.total
                for index in 0..<received {
                    let packet = UnsafeRawBufferPointer(start: arena + index * Self.slotSize, count: lengths[index])
                    guard let gre = GRETransparentEthernetPacket(packet) else {
                        registry.refusals.malformed &+= 1
                        continue
                    }
                    let frame = UnsafeRawBufferPointer(rebasing: packet[gre.frameOffset..<gre.frameOffset + gre.frameLength])
                    registry.deliver(frame, key: gre.key, source: gre.source, now: now)
                }
                registry.flushAll()
                return (before, registry.refusals.total)
            }
            logRefusals(before: before, after: after)
        }
        let sinks = registry.withLock { $0.removeAll() }
        sinks.forEach { $0.close() }
        socket.close()
        arena.deallocate()
        lengths.deallocate()
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ended = true
            Glibc.close(wakeDescriptor)
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Logs the refused packets each time their total passes a power of two: a probe or a misrouted tunnel
    /// is seen, and a flood of them does not flood the log.
    private func logRefusals(before: UInt64, after: UInt64) {
        guard after > before, (after.bitWidth - after.leadingZeroBitCount) > (before.bitWidth - before.leadingZeroBitCount) else { return }
        logger.warning("refused tunnelled port frames (unknown key, unplanned source or malformed)",
                       metadata: ["refusals": "\(registry.withLock { $0.refusals })"])
    }

    /// Ends the receptions whose deadline has come.
    private func expire(now: UInt64) {
        let expired = registry.withLock { $0.removeExpired(now: now) }
        for (reception, sink) in expired {
            sink.close()
            logger.info("port reception ended at its deadline", metadata: ["reception": "\(reception)"])
        }
    }
}
