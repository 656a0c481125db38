/// The bounds of one capture source's flow summary (``FlowSink``) and of a tap's export queue
/// (``FlowExport``), and its timeouts. Memory is reserved once, when the sink is made, and never grows:
/// with the defaults about 2.4 MiB of flow table, 1.5 MiB of HTTP state per capture source, and 1.6 MiB of
/// export queue per tap on a host — reserved, not resident: the kernel backs only the pages the traffic
/// touches. What does not fit is counted (``FlowExportBatch``), never lost without a trace.
public struct FlowLimits: Sendable, Hashable {
    /// The most flows a capture source's table holds at once (16 384). A packet of a new flow that finds the
    /// table full is not summarised; the flow is counted in ``FlowExportBatch/flowsDropped``.
    public var flowCapacity: Int
    /// The most TCP connections whose HTTP/1.x is read at once per capture source (256). A connection
    /// that starts with an HTTP request while all are in use is counted in ``FlowExportBatch/httpUnparsed``.
    public var httpConnections: Int
    /// The most requests a connection holds — waiting for their responses (pipelining), or answered and
    /// waiting for the flow's next record (16). A request beyond them is counted as unparsed, and its
    /// response skipped so the pairing stays in order.
    public var exchangesPerConnection: Int
    /// The most flow records waiting in a tap's export queue between two drains (4 096): a record that
    /// finds it full stays in its table and is offered again at the next scan.
    public var exportQueueFlows: Int
    /// The most HTTP exchanges waiting in the export queue (8 192), with the same rule.
    public var exportQueueExchanges: Int
    /// A TCP flow with no packet for this long ends as ``TapsterCore/FlowEnd/idle`` (120 s): longer than
    /// most keep-alive pools' idle time, far shorter than conntrack's five days.
    public var tcpIdleTimeout: Duration
    /// A UDP, ICMP or other flow with no packet for this long ends as idle (30 s, conntrack's UDP default).
    public var otherIdleTimeout: Duration
    /// How long a closed TCP flow (a FIN each way, or a reset) stays in the table before its last record (2 s):
    /// the packets that trail a close — the last ACK, a repeated RST — still count toward it rather than
    /// opening a flow of their own. A SYN on the same ports within it starts a new flow at once.
    public var closeLinger: Duration
    /// How often the table is scanned for records that are due and flows that ended (1 s); a live flow's
    /// record is sent again once ``TapsterCore/FlowRecord/exportInterval`` less this has passed, so never
    /// more than the export interval apart.
    public var scanInterval: Duration

    /// The limits; every default is documented on its property.
    public init(flowCapacity: Int = 16_384, httpConnections: Int = 256, exchangesPerConnection: Int = 16, exportQueueFlows: Int = 4_096,
                exportQueueExchanges: Int = 8_192, tcpIdleTimeout: Duration = .seconds(120), otherIdleTimeout: Duration = .seconds(30),
                closeLinger: Duration = .seconds(2), scanInterval: Duration = .seconds(1)) {
        self.flowCapacity = max(flowCapacity, 1)
        self.httpConnections = max(httpConnections, 0)
        self.exchangesPerConnection = max(exchangesPerConnection, 1)
        self.exportQueueFlows = max(exportQueueFlows, 1)
        self.exportQueueExchanges = max(exportQueueExchanges, 1)
        self.tcpIdleTimeout = tcpIdleTimeout
        self.otherIdleTimeout = otherIdleTimeout
        self.closeLinger = closeLinger
        self.scanInterval = scanInterval
    }

    /// The longest path kept of a request target, before templating (bytes): ``TapsterCore/HTTPPathTemplate``'s
    /// own limit. A longer path is cut there.
    public static let pathBytes = 256
    /// The longest Host header value kept (bytes); a longer one is cut.
    public static let hostBytes = 96
    /// The longest method kept (bytes): `PROPFIND`. A longer token is not HTTP.
    public static let methodBytes = 8
}

extension Duration {
    /// The duration in whole nanoseconds (negative durations as 0), the unit of capture timestamps.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
