#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PacketKit
import Synchronization
import TapsterCore

/// A flow's record as it waits in a ``FlowExport``: the table's entry as it was, how it ended (or that it
/// lives), which capture source saw it, and where its HTTP exchanges are in the queue. Plain data.
struct FlowSnapshot {
    var entry: FlowEntry
    var end: FlowEnd
    var source: UInt16
    var exchangeStart = 0
    var exchangeCount = 0
}

/// What ``FlowExport/drain()`` hands over: the records waiting, and the tap's counters on this host.
public struct FlowExportBatch: Sendable {
    /// The records since the last drain, in the order they were made; ``TapsterCore/FlowRecord/host`` empty
    /// (the server sets it from the agent's certificate). A flow may appear more than once (a live record,
    /// then its end): each record carries totals, and the later replaces the earlier.
    public var records: [FlowRecord]
    /// Flows the tables had no room for (``FlowLimits/flowCapacity``), and flows whose last record found the
    /// queue full when their capture ended: totals since the export was made.
    public var flowsDropped: UInt64
    /// HTTP connections or requests that could not be read (a gap in the capture, a header cut by the snap
    /// length, broken grammar, no free connection state, a full pipeline, a request never answered): total.
    public var httpUnparsed: UInt64
    /// Packets that are not IP or were cut short before their ports: not in any flow. Total.
    public var packetsUnreadable: UInt64
}

/// The flow records of one `flows` tap on this host, on their way to the server: every capture source's
/// ``FlowSink`` offers snapshots (fixed-size, copied under a lock, nothing allocated), and one other thread
/// calls ``drain()`` — as often as it likes; once a second keeps the queue far from full — which turns them
/// into ``TapsterCore/FlowRecord``s. The queue holds at most ``FlowLimits/exportQueueFlows`` records and
/// ``FlowLimits/exportQueueExchanges`` HTTP exchanges: a record that does not fit stays in its table and is
/// offered again a scan later, so a slow drain delays records rather than losing them (until the tables
/// themselves fill, which is counted).
///
/// ```swift
/// let export = FlowExport(tapID: tap.id)                      // one per tap on this host
/// let sink = FlowSink(plan: plan, export: export)             // one per capture source
/// let session = CaptureSession(plan: plan, sink: sink)
/// …
/// let batch = export.drain()                                  // records, flowsDropped, httpUnparsed, …
/// ```
public final class FlowExport: Sendable {
    /// The tap whose records these are.
    public let tapID: String
    private let queue: Mutex<FlowExportQueue>

    /// An empty queue bounded by `limits`' export sizes.
    public init(tapID: String, limits: FlowLimits = FlowLimits()) {
        self.tapID = tapID
        queue = Mutex(FlowExportQueue(limits: limits))
    }

    /// Names a capture source whose records come through here; its number goes into its snapshots.
    func register(workload: String, interface: String) -> UInt16 {
        queue.withLock { queue in
            queue.sources.append((workload, interface))
            return UInt16(truncatingIfNeeded: queue.sources.count - 1)
        }
    }

    /// Queues a record with the `count` answered exchanges of `http`'s connection (the snapshot's) from
    /// number `first` on; false, and nothing queued, when either part does not fit.
    func offer(_ snapshot: FlowSnapshot, http: HTTPConnections, first: UInt32, count: Int) -> Bool {
        queue.withLock { queue in
            guard queue.flowCount < queue.flowCapacity, queue.exchangeCount + count <= queue.exchanges.capacity else { return false }
            var snapshot = snapshot
            snapshot.exchangeStart = queue.exchangeCount
            snapshot.exchangeCount = count
            for number in 0..<count {
                queue.exchanges.copy(queue.exchangeCount, from: http.exchanges, http.slot(snapshot.entry.http, first &+ UInt32(number)))
                queue.exchangeCount += 1
            }
            (queue.flows + queue.flowCount).initialize(to: snapshot)
            queue.flowCount += 1
            return true
        }
    }

    /// Adds to the counters.
    func count(flowsDropped: UInt64, httpUnparsed: UInt64, packetsUnreadable: UInt64) {
        queue.withLock { queue in
            queue.flowsDropped &+= flowsDropped
            queue.httpUnparsed &+= httpUnparsed
            queue.packetsUnreadable &+= packetsUnreadable
        }
    }

    /// Takes every record queued, as ``TapsterCore/FlowRecord``s, and the counters' totals. Only method,
    /// templated path, Host, status and timing of an HTTP exchange are in them.
    public func drain() -> FlowExportBatch {
        queue.withLock { queue in
            var records: [FlowRecord] = []
            records.reserveCapacity(queue.flowCount)
            for position in 0..<queue.flowCount {
                records.append(queue.record(position, tapID: tapID))
            }
            (queue.flows).deinitialize(count: queue.flowCount)
            queue.flowCount = 0
            queue.exchangeCount = 0
            return FlowExportBatch(records: records, flowsDropped: queue.flowsDropped, httpUnparsed: queue.httpUnparsed,
                                   packetsUnreadable: queue.packetsUnreadable)
        }
    }
}

/// The queue's storage, reserved once (guarded by ``FlowExport``'s lock).
struct FlowExportQueue: ~Copyable {
    let flowCapacity: Int
    let flows: UnsafeMutablePointer<FlowSnapshot>
    var flowCount = 0
    let exchanges: HTTPExchangeStore
    var exchangeCount = 0
    var sources: [(workload: String, interface: String)] = []
    var flowsDropped: UInt64 = 0
    var httpUnparsed: UInt64 = 0
    var packetsUnreadable: UInt64 = 0

    init(limits: FlowLimits) {
        flowCapacity = limits.exportQueueFlows
        flows = .allocate(capacity: limits.exportQueueFlows)
        exchanges = HTTPExchangeStore(capacity: limits.exportQueueExchanges)
    }

    deinit {
        flows.deinitialize(count: flowCount)
        flows.deallocate()
    }

    /// The record of snapshot `position`.
    func record(_ position: Int, tapID: String) -> FlowRecord {
        let snapshot = flows[position]
        let entry = snapshot.entry
        let source = Int(snapshot.source) < sources.count ? sources[Int(snapshot.source)] : (workload: "", interface: "")
        let http = (snapshot.exchangeStart..<snapshot.exchangeStart + snapshot.exchangeCount).map { slot in
            let exchange = exchanges[slot]
            return HTTPExchange(method: exchange.methodText, pathTemplate: HTTPPathTemplate.template(exchanges.path(slot)),
                                host: exchanges.host(slot), status: Int(exchange.status),
                                latencyMicroseconds: exchange.responseAt > exchange.requestAt ? (exchange.responseAt - exchange.requestAt) / 1000 : 0,
                                requestedAt: Self.date(exchange.requestAt))
        }
        return FlowRecord(tapID: tapID, workload: source.workload, interface: source.interface, ipProtocol: entry.ipProtocol,
                          client: FlowEndpoint(address: entry.client.description, port: entry.clientPort),
                          server: FlowEndpoint(address: entry.server.description, port: entry.serverPort),
                          toServer: entry.toServer, toClient: entry.toClient,
                          tcpFlagsToServer: TCPFlags(rawValue: entry.flagsToServer), tcpFlagsToClient: TCPFlags(rawValue: entry.flagsToClient),
                          firstSeen: Self.date(entry.firstSeen), lastSeen: Self.date(entry.lastSeen),
                          rttMicroseconds: entry.hasRTT ? entry.rtt / 1000 : nil, end: snapshot.end, http: http)
    }

    /// A capture timestamp (ns since the epoch) as a date.
    static func date(_ nanoseconds: UInt64) -> Date {
        Date(timeIntervalSince1970: Double(nanoseconds / 1000) / 1_000_000)
    }
}

extension FlowExport {
    /// Forgets every queued record without making ``TapsterCore/FlowRecord``s of them; returns how many
    /// there were. For the allocation benchmark, which must empty the queue as a drain would without
    /// counting the drain's own allocations (Sources/TapsterAllocationCounting/FlowHotPath.swift).
    package func discardQueued() -> Int {
        queue.withLock { queue in
            defer {
                queue.flows.deinitialize(count: queue.flowCount)
                queue.flowCount = 0
                queue.exchangeCount = 0
            }
            return queue.flowCount
        }
    }
}
