import CPcap
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import PacketKit
import Synchronization
import TapsterCore

/// The body of a capture thread: opens the handle, runs the poll/dispatch loop, and ends the session.
///
/// Owned by its thread alone once started (hence `@unchecked Sendable`: the session hands it over and
/// never touches it again). libpcap's callback reaches it through an unretained pointer, so the hot path
/// is a pointer load, a few integer updates and the sink's `accept`.
final class CaptureLoop: @unchecked Sendable {
    private let plan: CapturePlan
    private let sink: any PacketSink
    private let shared: CaptureShared
    private let logger: Logger
    /// The deadline on the wall clock, the clock of packet time stamps.
    private let deadline: UInt64
    /// When the capture ends by either clock (``TapDeadline``), fixed when it starts.
    private let ending: TapDeadline
    /// The tap's budget on this host, shared with its other interfaces' captures; nil without a cap.
    private let budget: BandwidthBudget?
    private var handle: OpaquePointer?

    // Thread-local counters, published to `shared` after each round.
    private var packets: UInt64 = 0
    private var bytes: UInt64 = 0
    private var capDrops: UInt64 = 0
    private var sendDrops: UInt64 = 0
    private var acceptedSinceFlush = 0
    private var reachedDeadline = false
    /// When the sink was last flushed (monotonic ns), for the idle flush.
    private var lastFlush: UInt64 = 0
    /// libpcap's `ps_drop` and `ps_ifdrop`, 32-bit counts, widened (``WidenedCount``).
    private var ringDrops = WidenedCount()
    private var interfaceDrops = WidenedCount()

    /// Packets per `pcap_dispatch` round: one round, one `flush`.
    static let packetsPerRound: Int32 = 128
    /// Rounds per wake-up before polling again (and checking the stop flag and deadline).
    static let roundsPerWake = 16
    /// The longest `poll` wait: how late a stop or a deadline can be noticed at worst.
    static let pollInterval: UInt64 = 100_000_000
    /// How often kernel drop counters are read.
    static let statisticsInterval: UInt64 = 1_000_000_000
    /// The longest a sink goes without a `flush` while no packets come: a sink with work that is due by the
    /// clock rather than by packets (the flow sink's exports and idle timeouts) does it then.
    static let idleFlushInterval: UInt64 = 1_000_000_000
    /// The capture thread's stack: libpcap's activation and filter compiler, and a loop that allocates
    /// nothing, need far less than the default 8 MiB (the stack limit), which every capture would reserve.
    static let threadStackSize = 512 << 10

    init(plan: CapturePlan, sink: any PacketSink, shared: CaptureShared, budget: BandwidthBudget?, logger: Logger) {
        self.plan = plan
        self.sink = sink
        self.shared = shared
        self.logger = logger
        self.deadline = plan.deadlineNanoseconds
        self.ending = TapDeadline(wall: plan.deadlineNanoseconds)
        self.budget = budget
    }

    /// The thread's whole life.
    func run() {
        let final: CaptureState
        do throws(CaptureError) {
            if ending.remaining() == 0 {
                final = .stopped(.deadline)
            } else {
                try open()
                shared.markRunning(linkType: LinkType(rawValue: pcap_datalink(handle)))
                logger.info("capture started", metadata: ["bpf": "\(plan.bpf)", "snaplen": "\(plan.snaplen)",
                                                          "direction": "\(plan.direction.rawValue)"])
                final = try loop()
            }
        } catch {
            final = .failed(error)
        }
        end(final)
    }

    /// Ends a capture whose thread could not be started, on the calling thread, as ``run()`` ends one: the sink is
    /// flushed and closed and the session reports `.failed(error)`. Instead of ``run()``, never after it.
    func endUnstarted(_ error: CaptureError) {
        end(.failed(error))
    }

    // MARK: Opening

    private func fail(_ stage: CaptureError.Stage, _ reason: String) -> CaptureError {
        CaptureError(stage: stage, reason: reason, source: plan.source)
    }

    /// libpcap's text for the handle's last error, or `fallback`.
    private func pcapMessage(_ fallback: String) -> String {
        guard let handle, let text = pcap_geterr(handle) else { return fallback }
        let message = String(cString: text)
        return message.isEmpty ? fallback : message
    }

    private func open() throws(CaptureError) {
        guard shared.wakeDescriptor >= 0 else { throw fail(.thread, "cannot create an eventfd: \(String(cString: strerror(errno)))") }
        // Compiled before entering the workload's namespace (on this capture's own thread, never the
        // cooperative pool): a name in an admin's expression is resolved from the agent's namespace,
        // never from inside the workload's, whose resolver could watch or answer the look-up.
        let ethernetProgram: BPFProgram
        do {
            ethernetProgram = try BPFProgram.compile(plan.bpf, linkType: .ethernet, snaplen: plan.effectiveSnaplen)
        } catch {
            throw fail(.filter, error.message)
        }
        do {
            try plan.source.namespace.enterOnCurrentThread()
        } catch {
            throw fail(.namespace, error.description)
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let created = pcap_create(plan.source.interface, &errorBuffer) else {
            throw fail(.create, errorText(errorBuffer))
        }
        handle = created
        try check(pcap_set_snaplen(created, plan.effectiveSnaplen), .create, "pcap_set_snaplen")
        try check(pcap_set_promisc(created, plan.promiscuous ? 1 : 0), .create, "pcap_set_promisc")
        // Not immediate mode: with it libpcap gives every packet a slot sized for the largest possible frame
        // (64 KiB with segmentation offload), so 4 MiB held 64 packets and a busy moment dropped the rest
        // (Benchmarks/agent). TPACKET_V3 packs frames into blocks, handed over when full or after the timeout.
        try check(pcap_set_timeout(created, CapturePlan.deliveryTimeoutMilliseconds), .create, "pcap_set_timeout")
        try check(pcap_set_buffer_size(created, Int32(clamping: plan.bufferSize)), .create, "pcap_set_buffer_size")
        try check(pcap_set_tstamp_precision(created, Int32(PCAP_TSTAMP_PRECISION_NANO)), .create, "pcap_set_tstamp_precision")

        let status = pcap_activate(created)
        if status < 0 {
            // Worded as tcpdump words it: libpcap's explanation alone for a generic error, otherwise the
            // device, the status and the explanation (`eth9: No such device exists (SIOCGIFHWADDR: …)`).
            let summary = String(cString: pcap_statustostr(status))
            let detail = pcapMessage("")
            if status == PCAP_ERROR {
                throw fail(.activate, detail.isEmpty ? summary : detail)
            }
            throw fail(.activate, "\(plan.source.interface): \(summary)" + (detail.isEmpty ? "" : " (\(detail))"))
        } else if status > 0 {
            logger.warning("libpcap warning on activation", metadata: ["warning": "\(pcapMessage(String(cString: pcap_statustostr(status))))"])
        }

        switch plan.direction {
        case .both: break
        case .in: try check(pcap_setdirection(created, PCAP_D_IN), .direction, "pcap_setdirection")
        case .out: try check(pcap_setdirection(created, PCAP_D_OUT), .direction, "pcap_setdirection")
        }

        if pcap_datalink(created) == LinkType.ethernet.rawValue {
            let status = ethernetProgram.withUnsafeBPFProgram { pcap_setfilter(created, UnsafeMutablePointer(mutating: $0)) }
            try check(status, .filter, "pcap_setfilter")
        } else {
            // Another framing needs its own program, compiled in here: only from numbers and keywords.
            let names = BPFNames.find(in: plan.bpf)
            guard names.isEmpty else {
                throw fail(.filter, "\(plan.source.interface) is not Ethernet, and names (\(names.joined(separator: ", "))) are resolved only for Ethernet interfaces")
            }
            var program = bpf_program()
            guard pcap_compile(created, &program, plan.bpf, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                throw fail(.filter, pcapMessage("pcap_compile failed"))
            }
            defer { pcap_freecode(&program) }
            try check(pcap_setfilter(created, &program), .filter, "pcap_setfilter")
        }

        guard pcap_setnonblock(created, 1, &errorBuffer) == 0 else { throw fail(.create, errorText(errorBuffer)) }
        guard pcap_get_selectable_fd(created) >= 0 else { throw fail(.create, "the interface has no selectable descriptor") }
    }

    /// Takes the program waiting in ``CaptureShared/filterUpdate`` (a recorder's expression changed). A refused
    /// program leaves the previous one, logged.
    private func replaceFilter(_ handle: OpaquePointer) {
        let program = shared.filterUpdate.withLock { program in
            defer { program = nil }
            shared.hasFilterUpdate.store(false, ordering: .relaxed)
            return program
        }
        guard let program else { return }
        let status = program.withUnsafeBPFProgram { pcap_setfilter(handle, UnsafeMutablePointer(mutating: $0)) }
        shared.filtersTaken.add(1, ordering: .releasing)
        if status != 0 {
            logger.warning("the capture keeps its previous filter", metadata: ["reason": "\(pcapMessage("pcap_setfilter failed"))"])
        }
    }

    private func check(_ status: Int32, _ stage: CaptureError.Stage, _ call: String) throws(CaptureError) {
        guard status != 0 else { return }
        throw fail(stage, pcapMessage("\(call): \(String(cString: pcap_statustostr(status)))"))
    }

    // MARK: The loop

    /// Polls and dispatches until stopped, past the deadline, or failed; returns how it ended.
    private func loop() throws(CaptureError) -> CaptureState {
        guard let handle else { throw fail(.thread, "no handle") }
        let pcapDescriptor = pcap_get_selectable_fd(handle)
        var descriptors = [
            pollfd(fd: pcapDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: shared.wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let context = Unmanaged.passUnretained(self).toOpaque().assumingMemoryBound(to: UInt8.self)
        var nextStatistics = WallClock.monotonicNanoseconds() &+ Self.statisticsInterval

        while true {
            if shared.stopRequested.load(ordering: .acquiring) { return .stopped(.requested) }
            if shared.hasFilterUpdate.load(ordering: .acquiring) { replaceFilter(handle) }
            if reachedDeadline { return .stopped(.deadline) }
            let left = ending.remaining()
            if left == 0 {
                try drainBeforeDeadline(handle, descriptor: pcapDescriptor, context: context)
                return .stopped(.deadline)
            }
            let wait = min(Self.pollInterval, left)
            let timeout = Int32((wait + 999_999) / 1_000_000)

            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let ready = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, 2, timeout) }
            if ready < 0 {
                guard errno == EINTR else { throw fail(.capture, "poll: \(String(cString: strerror(errno)))") }
                continue
            }
            let events = Int32(descriptors[0].revents)
            // Read before the rounds: a packet stamped before `woke − the ring's retire time` sits in a block
            // the kernel has handed over, which the rounds below drain.
            let woke = WallClock.nanoseconds()
            // On a timeout too: a ring block the kernel retired without waking poll is read all the same.
            if events & Int32(POLLIN) != 0 || ready == 0 {
                if try dispatchRounds(handle, context: context) {
                    publishWatermark(woke)
                }
            }
            if events & Int32(POLLERR | POLLHUP | POLLNVAL) != 0 {
                try drainAfterError(handle, context: context)
                if reachedDeadline { continue }
                throw fail(.capture, socketError(pcapDescriptor, events: events))
            }
            let monotonic = WallClock.monotonicNanoseconds()
            if monotonic &- lastFlush >= Self.idleFlushInterval {
                sendDrops &+= UInt64(max(sink.flush(), 0))
                lastFlush = monotonic
            }
            if monotonic >= nextStatistics {
                readStatistics(handle)
                nextStatistics = monotonic &+ Self.statisticsInterval
            }
        }
    }

    /// Dispatches rounds until libpcap has nothing more (or a bounded number), flushing after each; true when
    /// the ring was drained (libpcap had nothing more).
    @discardableResult
    private func dispatchRounds(_ handle: OpaquePointer, context: UnsafeMutablePointer<UInt8>) throws(CaptureError) -> Bool {
        for _ in 0..<Self.roundsPerWake {
            let count = pcap_dispatch(handle, Self.packetsPerRound, captureCallback, context)
            flushAndPublish()
            if count == PCAP_ERROR_BREAK || reachedDeadline { return false }
            if count < 0 { throw fail(.capture, pcapMessage("pcap_dispatch failed")) }
            if count < Self.packetsPerRound { return true }
        }
        return false
    }

    /// How far behind the wake-up the watermark stays: the ring's retire time (the delivery timeout), with
    /// room for the kernel's timer granularity and a late timer.
    static let watermarkLag: UInt64 = UInt64(CapturePlan.deliveryTimeoutMilliseconds) * 1_000_000 + 20_000_000

    /// After a drained wake-up at `woke`: every packet stamped before `woke − watermarkLag` has been flushed.
    private func publishWatermark(_ woke: UInt64) {
        guard woke > Self.watermarkLag else { return }
        let mark = woke - Self.watermarkLag
        if mark > shared.watermark.load(ordering: .relaxed) { shared.watermark.store(mark, ordering: .releasing) }
    }

    /// At the deadline, packets captured just before it may still be in the ring: the kernel hands a block
    /// over up to the delivery timeout after its first packet. Reads what arrives for twice that long, or
    /// until a packet at or after the deadline shows that everything before it has been read.
    private func drainBeforeDeadline(_ handle: OpaquePointer, descriptor: Int32,
                                     context: UnsafeMutablePointer<UInt8>) throws(CaptureError) {
        let window = UInt64(2 * CapturePlan.deliveryTimeoutMilliseconds) * 1_000_000
        let end = WallClock.monotonicNanoseconds() &+ window
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        repeat {
            let left = end > WallClock.monotonicNanoseconds() ? end - WallClock.monotonicNanoseconds() : 0
            ready.revents = 0
            _ = poll(&ready, 1, Int32((left + 999_999) / 1_000_000))
            try dispatchRounds(handle, context: context)
        } while !reachedDeadline && WallClock.monotonicNanoseconds() < end
    }

    /// After the socket reported an error: hands over the packets still in the ring, until libpcap reaches
    /// the error and explains it (`The interface disappeared`, `The interface went down`).
    private func drainAfterError(_ handle: OpaquePointer, context: UnsafeMutablePointer<UInt8>) throws(CaptureError) {
        for _ in 0..<Self.roundsPerWake {
            let count = pcap_dispatch(handle, Self.packetsPerRound, captureCallback, context)
            flushAndPublish()
            if count == PCAP_ERROR_BREAK || reachedDeadline || count == 0 { return }
            if count < 0 { throw fail(.capture, pcapMessage("pcap_dispatch failed")) }
        }
    }

    /// Per packet, from libpcap's callback.
    @inline(__always)
    fileprivate func receive(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>) {
        let timestamp = UInt64(header.pointee.ts.tv_sec) &* 1_000_000_000 &+ UInt64(header.pointee.ts.tv_usec)
        if timestamp >= deadline {
            reachedDeadline = true
            if let handle { pcap_breakloop(handle) }
            return
        }
        let captured = Int(header.pointee.caplen)
        let original = Int(header.pointee.len)
        packets &+= 1
        bytes &+= UInt64(original)
        if let budget, !budget.admit(bytes: captured, now: timestamp) {
            capDrops &+= 1
            return
        }
        sink.accept(UnsafeRawBufferPointer(start: data, count: captured), originalLength: original, timestampNanoseconds: timestamp)
        acceptedSinceFlush &+= 1
    }

    private func flushAndPublish() {
        if acceptedSinceFlush > 0 {
            sendDrops &+= UInt64(max(sink.flush(), 0))
            acceptedSinceFlush = 0
            lastFlush = WallClock.monotonicNanoseconds()
        }
        shared.packets.store(packets, ordering: .relaxed)
        shared.bytes.store(bytes, ordering: .relaxed)
        shared.capDrops.store(capDrops, ordering: .relaxed)
        shared.sendDrops.store(sendDrops, ordering: .relaxed)
    }

    /// Kernel drops: `ps_drop`, plus `ps_ifdrop` in the host's namespace only — libpcap reads interface
    /// drops from the agent's sysfs, which names the host's interfaces, not a workload namespace's.
    private func readStatistics(_ handle: OpaquePointer) {
        var statistics = pcap_stat()
        guard pcap_stats(handle, &statistics) == 0 else { return }
        var drops = ringDrops.update(UInt64(statistics.ps_drop))
        if plan.source.namespace == .host { drops &+= interfaceDrops.update(UInt64(statistics.ps_ifdrop)) }
        shared.kernelDrops.store(drops, ordering: .relaxed)
    }

    /// Why libpcap's socket reported an error: the pending socket error (ENETDOWN when the interface went
    /// down or away), or the poll flags.
    private func socketError(_ descriptor: Int32, events: Int32) -> String {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0, code != 0 {
            let detail = code == ENETDOWN ? "the interface went down or was removed" : "the capture socket failed"
            return "\(plan.source.interface): \(detail) (\(String(cString: strerror(code))))"
        }
        // The error was taken (libpcap reads it too) before it could be asked: an interface that is gone from
        // the thread's namespace is what libpcap would have said. One being deleted signals the socket as it goes
        // down, before its name is gone (the full suite saw the name still there): its name is given 200 ms to go.
        // (This thread is the capture's own, ending.)
        for _ in 0..<20 {
            if if_nametoindex(plan.source.interface) == 0 { return "The interface disappeared" }
            usleep(10_000)
        }
        return "\(plan.source.interface): the capture socket reported poll events 0x\(String(events, radix: 16))"
    }

    // MARK: Ending

    /// Publishes the final counters, closes the sink, reports the end, and only then closes libpcap's
    /// handle: closing a packet socket waits for an RCU grace period (tens of milliseconds on a busy
    /// host), which need not delay the news that nothing more will be captured or sent.
    private func end(_ final: CaptureState) {
        if let handle { readStatistics(handle) }
        flushAndPublish()
        sink.close()
        let counters = shared.counters
        logger.info("capture ended", metadata: [
            "state": "\(final)", "packets": "\(counters.packets)", "bytes": "\(counters.bytes)",
            "kernel_drops": "\(counters.kernelDrops)", "cap_drops": "\(counters.capDrops)", "send_drops": "\(counters.sendDrops)",
        ])
        shared.finish(final)
        if let handle {
            pcap_close(handle)
            self.handle = nil
        }
    }
}

/// The NUL-terminated text libpcap wrote into an error buffer.
private func errorText(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// libpcap's per-packet callback: captures nothing, so it is a plain C function pointer.
private let captureCallback: pcap_handler = { context, header, data in
    guard let context, let header, let data else { return }
    Unmanaged<CaptureLoop>.fromOpaque(UnsafeRawPointer(context)).takeUnretainedValue().receive(header, data)
}
