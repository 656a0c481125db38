import PacketKit
import TapsterCore

/// A `flows` tap's sink for one capture source: instead of forwarding packets, it summarises them into
/// flows (``FlowTable``, with HTTP/1.x discovery) and offers their records to the tap's ``FlowExport``.
///
/// When records leave: a live flow's at least every ``TapsterCore/FlowRecord/exportInterval`` (10 s), a
/// flow's last once when it ends — FIN each way or RST (after ``FlowLimits/closeLinger``), no packet for
/// the idle timeout, or ``close()`` (the tap stopped: ``TapsterCore/FlowEnd/stopped``); and early when a
/// connection's answered HTTP exchanges fill half its ring. Time is the later of the packets' timestamps
/// and the clock read at each `flush`; the capture loop flushes at least once a second even without
/// packets, so a quiet flow still reaches its export and its idle end.
///
/// `accept` and `flush` never allocate (Tests/AllocationCountTests): the table, the HTTP state and the
/// export queue are reserved when the sink is made, within ``FlowLimits``.
public final class FlowSink: PacketSink {
    private let table: FlowTable
    private let linkType: LinkType
    private let clock: () -> UInt64

    /// A sink for `plan`'s source, exporting through `export` (its tap's, shared by the tap's sources on this host).
    /// - Parameters:
    ///   - limits: the table's bounds and timeouts (the export queue's are `export`'s own).
    ///   - linkType: the interface's framing: Ethernet (with VLAN tags), or bare IP.
    ///   - clock: nanoseconds since the epoch, read at each `flush`; nil: the wall clock. Tests pass their own.
    public init(plan: CapturePlan, export: FlowExport, limits: FlowLimits = FlowLimits(), linkType: LinkType = .ethernet,
                clock: (() -> UInt64)? = nil) {
        let source = export.register(workload: plan.source.workload, interface: plan.source.interface)
        self.table = FlowTable(limits: limits, export: export, source: source)
        self.linkType = linkType
        self.clock = clock ?? { WallClock.nanoseconds() }
    }

    public func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        let headers = linkType == .raw ? PacketHeaders(ipPacket: bytes) : PacketHeaders(ethernetFrame: bytes)
        table.observe(headers, frame: bytes, wireLength: originalLength, at: timestampNanoseconds)
    }

    /// Sends the records that are due (a scan at most once per ``FlowLimits/scanInterval``); never drops a packet.
    public func flush() -> Int {
        table.scan(now: max(clock(), table.latest))
        return 0
    }

    /// Every open flow's last record, as stopped (a closed one's as it closed).
    public func close() {
        table.closeAll(now: max(clock(), table.latest))
    }

    /// The flows in the table now (for tests and counters).
    var flowCount: Int { table.count }
}
