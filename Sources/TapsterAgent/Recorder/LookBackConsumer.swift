import Synchronization
import CPcap
import PacketKit

/// What a recorder's thread does for one capture that looks back: the capture's own expression (libpcap's
/// `bpf_filter` in userspace, as `pcap_offline_filter` runs it), its snap length, deadline and bandwidth budget,
/// then its sink — for the held packets and for the live ones alike, so the two cannot differ.
///
/// Used by the recorder's capture thread only, once attached; nothing allocated per packet.
package final class LookBackConsumer: @unchecked Sendable {
    let capture: LookBackCapture
    /// The first packet's time: the capture's creation less its `before` (ns since the epoch).
    let since: UInt64
    /// The recorder's framing (its capture's link type, as libpcap opened the interface): the capture's BPF is
    /// compiled for it, and the capture's interface is described with it, as a live capture's would be.
    let linkType: LinkType
    private let sink: any PacketSink
    private let program: UnsafeMutablePointer<bpf_insn>?
    private let snaplen: Int
    private let deadline: UInt64
    /// When it ends by either clock (``TapDeadline``), fixed when it begins.
    private let ending: TapDeadline
    private let budget: BandwidthBudget?
    private var packets: UInt64 = 0
    private var bytes: UInt64 = 0
    private var capDrops: UInt64 = 0
    private var sendDrops: UInt64 = 0
    private var pending = 0
    /// Set when the deadline passed (a packet at or after it, or the clock).
    private(set) var reachedDeadline = false

    /// - Parameter linkType: the recorder's capture's link type (``CaptureSession/linkType``).
    /// - Throws: ``CaptureError`` when the capture's expression does not compile for that link type.
    package init(capture: LookBackCapture, since: UInt64, sink: any PacketSink, budget: BandwidthBudget?,
                 linkType: LinkType = .ethernet) throws(CaptureError) {
        let plan = capture.plan
        self.capture = capture
        self.since = since
        self.linkType = linkType
        self.sink = sink
        self.snaplen = Int(plan.effectiveSnaplen)
        self.deadline = plan.deadlineNanoseconds
        self.ending = TapDeadline(wall: plan.deadlineNanoseconds)
        self.budget = budget
        let compiled: BPFProgram
        do {
            compiled = try BPFProgram.compile(plan.bpf, linkType: linkType, snaplen: plan.effectiveSnaplen)
        } catch {
            throw CaptureError(stage: .filter, reason: error.message, source: plan.source)
        }
        if compiled.acceptsAll {
            program = nil
        } else {
            // Copied once, so each packet runs the interpreter over it without building a `bpf_program`.
            let instructions = UnsafeMutablePointer<bpf_insn>.allocate(capacity: compiled.instructions.count)
            compiled.withUnsafeBPFProgram { program in
                instructions.initialize(from: program.pointee.bf_insns, count: Int(program.pointee.bf_len))
            }
            program = instructions
        }
    }

    deinit { program?.deallocate() }

    /// Offers one packet (held or live).
    @inline(__always)
    func offer(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        guard !reachedDeadline else { return }
        if timestampNanoseconds >= deadline {
            reachedDeadline = true
            return
        }
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        if let program, bpf_filter(program, base, UInt32(truncatingIfNeeded: originalLength), UInt32(truncatingIfNeeded: bytes.count)) == 0 {
            return
        }
        let kept = min(bytes.count, snaplen)
        packets &+= 1
        self.bytes &+= UInt64(originalLength)
        if let budget, !budget.admit(bytes: kept, now: timestampNanoseconds) {
            capDrops &+= 1
            return
        }
        sink.accept(UnsafeRawBufferPointer(start: bytes.baseAddress, count: kept), originalLength: originalLength,
                    timestampNanoseconds: timestampNanoseconds)
        pending &+= 1
    }

    /// Ends a round: flushes the sink and publishes the counters.
    func flush() {
        if pending > 0 {
            sendDrops &+= UInt64(max(sink.flush(), 0))
            pending = 0
        }
        capture.shared.packets.store(packets, ordering: .relaxed)
        capture.shared.bytes.store(bytes, ordering: .relaxed)
        capture.shared.capDrops.store(capDrops, ordering: .relaxed)
        capture.shared.sendDrops.store(sendDrops, ordering: .relaxed)
    }

    /// Whether the capture is over: asked to stop, or past its deadline (by a packet, or by `now` on the wall clock or
    /// the monotonic clock's time left, ``TapDeadline``).
    func isOver(now: UInt64) -> Bool {
        if ending.remaining(wallNow: now) == 0 { reachedDeadline = true }
        return reachedDeadline || capture.shared.stopRequested.load(ordering: .acquiring)
    }

    /// Flushes and closes the sink and ends the capture with `state`.
    func finish(_ state: CaptureState) {
        flush()
        sink.close()
        capture.shared.finish(state)
    }

    /// Ends the capture as it would end now.
    func finishNow() {
        finish(reachedDeadline ? .stopped(.deadline) : .stopped(.requested))
    }
}
