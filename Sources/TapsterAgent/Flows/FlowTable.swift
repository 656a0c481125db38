import PacketKit
import TapsterCore

/// One flow as the table keeps it: plain data, so entries move and copy without reference counting.
struct FlowEntry {
    var client: PacketAddress
    var server: PacketAddress
    var clientPort: UInt16
    var serverPort: UInt16
    var ipProtocol: UInt8
    /// The flow's hash, and its position in the table's index.
    var hash: UInt32
    var slot: Int32 = 0
    /// Its HTTP connection state, or -1; `httpDecided` once the first payload said whether it is HTTP.
    var http: Int32 = -1
    var httpDecided = false
    var toServer = FlowCounters()
    var toClient = FlowCounters()
    var flagsToServer: UInt8 = 0
    var flagsToClient: UInt8 = 0
    var firstSeen: UInt64
    var lastSeen: UInt64
    /// The handshake as seen: the client's (last) SYN, the server's SYN-ACK, and the RTT once the client's ACK came.
    var synAt: UInt64 = 0
    var synAckAt: UInt64 = 0
    var rtt: UInt64 = 0
    var hasRTT = false
    var finFromClient = false
    var finFromServer = false
    var reset = false
    /// When a FIN each way or a RST closed it; 0 while open.
    var closedAt: UInt64 = 0
    /// When its last record left (its first-seen time before that).
    var lastExport: UInt64

    /// How a flow that leaves the table now ended: closed, or still open when it went quiet or the tap stopped.
    func end(open: FlowEnd) -> FlowEnd {
        guard closedAt != 0 else { return open }
        return reset ? .reset : .fin
    }
}

/// The flows of one capture source: a table of at most ``FlowLimits/flowCapacity`` flows, reserved once —
/// an index by open addressing (linear probing, at most half full, backward-shift deletion, so no tombstones)
/// over a dense array of ``FlowEntry`` — with the HTTP/1.x reading of its TCP connections. Records leave
/// through a ``FlowExport`` as fixed-size snapshots, so neither a packet nor a record allocates here.
///
/// Owned by one capture thread.
final class FlowTable {
    let limits: FlowLimits
    private let export: FlowExport
    private let source: UInt16
    private let entries: UnsafeMutablePointer<FlowEntry>
    private(set) var count = 0
    private let index: UnsafeMutablePointer<Int32>
    private let indexMask: Int
    let http: HTTPConnections
    /// Hashes of flows refused for lack of room, so a refused flow's later packets are not counted again
    /// (direct-mapped: a collision may count a flow twice, or miss one).
    private let refused: UnsafeMutablePointer<UInt32>
    private static let refusedSlots = 4096

    /// Totals since the table began: flows refused, packets not read (not IP, or cut short).
    private(set) var flowsDropped: UInt64 = 0
    private(set) var packetsUnreadable: UInt64 = 0
    /// What was last handed to the export's counters.
    private var published = (flows: UInt64(0), http: UInt64(0), unreadable: UInt64(0))
    /// The latest packet timestamp seen.
    private(set) var latest: UInt64 = 0
    private var nextScan: UInt64 = 0

    init(limits: FlowLimits, export: FlowExport, source: UInt16) {
        self.limits = limits
        self.export = export
        self.source = source
        entries = .allocate(capacity: limits.flowCapacity)
        var slots = 2
        while slots < 2 * limits.flowCapacity { slots <<= 1 }
        index = .allocate(capacity: slots)
        index.initialize(repeating: 0, count: slots)
        indexMask = slots - 1
        http = HTTPConnections(capacity: limits.httpConnections, exchangesPerConnection: limits.exchangesPerConnection)
        refused = .allocate(capacity: Self.refusedSlots)
        refused.initialize(repeating: 0, count: Self.refusedSlots)
    }

    deinit {
        entries.deinitialize(count: count)
        entries.deallocate()
        index.deallocate()
        refused.deallocate()
    }

    /// The entry at `position` (0..<count), for tests.
    subscript(position: Int) -> FlowEntry { entries[position] }

    // MARK: Packets

    /// Counts one packet of `wireLength` bytes on the wire, read into `headers` from `frame`, at `time`.
    func observe(_ headers: PacketHeaders, frame: UnsafeRawBufferPointer, wireLength: Int, at time: UInt64) {
        if time > latest { latest = time }
        guard headers.layer >= .network else {
            packetsUnreadable &+= 1
            return
        }
        let hash = Self.hash(headers)
        var position = Int(hash) & indexMask
        var found = -1
        while index[position] != 0 {
            let candidate = Int(index[position]) - 1
            if entries[candidate].hash == hash, Self.matches(entries[candidate], headers) {
                found = candidate
                break
            }
            position = (position + 1) & indexMask
        }
        let isSYN = headers.ipProtocol == 6 && headers.tcpFlags & 0x12 == 0x02
        if found >= 0, isSYN, entries[found].closedAt != 0 {
            // A new connection on the ports of one that closed: the old one's last record goes now.
            _ = exportRecord(found, end: entries[found].end(open: .fin), now: time)
            if entries[found].http >= 0 { http.close(entries[found].http) }
            let slot = entries[found].slot
            entries[found] = Self.newEntry(headers, hash: hash, at: time)
            entries[found].slot = slot
        } else if found < 0 {
            guard count < limits.flowCapacity else { return refuse(hash) }
            found = count
            (entries + count).initialize(to: Self.newEntry(headers, hash: hash, at: time))
            entries[count].slot = Int32(position)
            index[position] = Int32(count + 1)
            count += 1
        }
        update(found, headers, frame: frame, wireLength: wireLength, at: time)
    }

    private func refuse(_ hash: UInt32) {
        let slot = Int(hash) & (Self.refusedSlots - 1)
        guard refused[slot] != hash | 1 else { return }
        refused[slot] = hash | 1
        flowsDropped &+= 1
    }

    private static func newEntry(_ headers: PacketHeaders, hash: UInt32, at time: UInt64) -> FlowEntry {
        // A SYN-ACK's receiver opened the connection; otherwise its first packet's sender did.
        let reversed = headers.ipProtocol == 6 && headers.tcpFlags & 0x12 == 0x12
        return FlowEntry(client: reversed ? headers.destination : headers.source, server: reversed ? headers.source : headers.destination,
                         clientPort: reversed ? headers.destinationPort : headers.sourcePort,
                         serverPort: reversed ? headers.sourcePort : headers.destinationPort,
                         ipProtocol: headers.ipProtocol, hash: hash, firstSeen: time, lastSeen: time, lastExport: time)
    }

    private func update(_ position: Int, _ headers: PacketHeaders, frame: UnsafeRawBufferPointer, wireLength: Int, at time: UInt64) {
        let entry = entries + position
        let fromClient = entry.pointee.client == headers.source && entry.pointee.clientPort == headers.sourcePort
        if fromClient {
            entry.pointee.toServer.packets &+= 1
            entry.pointee.toServer.bytes &+= UInt64(wireLength)
        } else {
            entry.pointee.toClient.packets &+= 1
            entry.pointee.toClient.bytes &+= UInt64(wireLength)
        }
        if time > entry.pointee.lastSeen { entry.pointee.lastSeen = time }
        guard headers.ipProtocol == 6, headers.layer == .transport else { return }
        let flags = headers.tcpFlags
        if fromClient { entry.pointee.flagsToServer |= flags } else { entry.pointee.flagsToClient |= flags }
        let syn = flags & 0x02 != 0, ack = flags & 0x10 != 0
        if fromClient, syn, !ack, entry.pointee.synAckAt == 0 {
            entry.pointee.synAt = time
        } else if !fromClient, syn, ack, entry.pointee.synAt != 0, !entry.pointee.hasRTT {
            entry.pointee.synAckAt = time
        } else if fromClient, !syn, ack, entry.pointee.synAckAt != 0, !entry.pointee.hasRTT {
            // SYN → SYN-ACK → ACK: on the client's interface mostly the first leg, on the server's mostly the
            // last; their sum is the round trip wherever the tap is.
            entry.pointee.rtt = time >= entry.pointee.synAt ? time - entry.pointee.synAt : 0
            entry.pointee.hasRTT = true
        }
        if flags & 0x01 != 0 {
            if fromClient { entry.pointee.finFromClient = true } else { entry.pointee.finFromServer = true }
        }
        if flags & 0x04 != 0 { entry.pointee.reset = true }
        if entry.pointee.closedAt == 0, entry.pointee.reset || (entry.pointee.finFromClient && entry.pointee.finFromServer) {
            entry.pointee.closedAt = max(time, 1)
        }
        // After this segment is read (it may carry the last response along with the FIN).
        defer { if entry.pointee.closedAt != 0, entry.pointee.http >= 0 { releaseHTTP(position, at: time) } }
        guard headers.payloadLength > 0 else { return }
        let payload = headers.capturedPayload(in: frame)
        if !entry.pointee.httpDecided {
            entry.pointee.httpDecided = true
            // HTTP's client speaks first, with a request line: anything else (a server's banner, TLS, a
            // database protocol) is not read.
            if fromClient, HTTPConnections.looksLikeRequest(payload), let connection = http.open() {
                entry.pointee.http = connection
            }
        }
        let connection = entry.pointee.http
        guard connection >= 0 else { return }
        // Answered exchanges fill the connection's ring: they leave with a record before new requests need room.
        if fromClient, http.isFilling(connection) { _ = exportRecord(position, end: .live, now: time) }
        http.feed(connection, fromClient: fromClient, sequence: headers.sequenceNumber, wireLength: headers.payloadLength,
                  captured: payload, at: time)
    }

    /// A closed connection gives its HTTP state back at once, its answered exchanges leaving in a record:
    /// held through the close linger, the states would cap a source at `httpConnections` new connections per
    /// linger (about 128 a second), and the rest would go unread. The record is an interim one (`live`): the
    /// flow's one final record still leaves with the linger, with the trailing ACK in it. When the export
    /// queue is full the state stays until the flow leaves the table.
    private func releaseHTTP(_ position: Int, at time: UInt64) {
        guard exportRecord(position, end: .live, now: time) else { return }
        http.close(entries[position].http)
        entries[position].http = -1
    }

    // MARK: Records

    /// Offers the flow's record (with its answered HTTP exchanges) to the export queue; false when it is full.
    private func exportRecord(_ position: Int, end: FlowEnd, now: UInt64) -> Bool {
        let entry = entries[position]
        let answered = entry.http >= 0 ? http.answered(entry.http) : (first: UInt32(0), count: 0)
        let offered = export.offer(FlowSnapshot(entry: entry, end: end, source: source), http: http, first: answered.first,
                                   count: answered.count)
        guard offered else { return false }
        if entry.http >= 0 { http.release(entry.http, answered: answered.count) }
        entries[position].lastExport = now
        return true
    }

    /// Sends the records that are due at `now` and removes the flows that ended — at most once per
    /// ``FlowLimits/scanInterval`` (it walks the whole table).
    func scan(now: UInt64) {
        guard now >= nextScan else { return }
        nextScan = now &+ limits.scanInterval.nanoseconds
        let linger = limits.closeLinger.nanoseconds
        let refresh = UInt64(FlowRecord.exportInterval * 1e9) - min(limits.scanInterval.nanoseconds, UInt64(FlowRecord.exportInterval * 1e9))
        var position = count - 1
        while position >= 0 {
            let entry = entries[position]
            let idle = entry.ipProtocol == 6 ? limits.tcpIdleTimeout.nanoseconds : limits.otherIdleTimeout.nanoseconds
            if entry.closedAt != 0, Self.elapsed(since: entry.closedAt, now) >= linger {
                if exportRecord(position, end: entry.end(open: .fin), now: now) { remove(position) }
            } else if Self.elapsed(since: entry.lastSeen, now) >= idle {
                if exportRecord(position, end: .idle, now: now) { remove(position) }
            } else if Self.elapsed(since: entry.lastExport, now) >= refresh {
                _ = exportRecord(position, end: .live, now: now)
            }
            position -= 1
        }
        publishCounters()
    }

    /// The capture ended: every flow's last record — ``TapsterCore/FlowEnd/stopped`` unless it had closed —
    /// and the table empties. A record the export queue has no room for is counted as a dropped flow.
    func closeAll(now: UInt64) {
        var position = count - 1
        while position >= 0 {
            if !exportRecord(position, end: entries[position].end(open: .stopped), now: now) { flowsDropped &+= 1 }
            remove(position)
            position -= 1
        }
        publishCounters()
    }

    private func publishCounters() {
        let current = (flows: flowsDropped, http: http.unparsed, unreadable: packetsUnreadable)
        guard current != published else { return }
        export.count(flowsDropped: current.flows - published.flows, httpUnparsed: current.http - published.http,
                     packetsUnreadable: current.unreadable - published.unreadable)
        published = current
    }

    private static func elapsed(since time: UInt64, _ now: UInt64) -> UInt64 {
        now > time ? now - time : 0
    }

    // MARK: The index

    /// Takes entry `position` out: its index slot by backward shift, and the last entry moves into its place.
    private func remove(_ position: Int) {
        if entries[position].http >= 0 { http.close(entries[position].http) }
        var hole = Int(entries[position].slot)
        var next = (hole + 1) & indexMask
        while index[next] != 0 {
            let moving = Int(index[next]) - 1
            let home = Int(entries[moving].hash) & indexMask
            // The entry at `next` may fill the hole unless its home lies after the hole (cyclically).
            if (next - home) & indexMask >= (next - hole) & indexMask {
                index[hole] = index[next]
                entries[moving].slot = Int32(hole)
                hole = next
            }
            next = (next + 1) & indexMask
        }
        index[hole] = 0
        let last = count - 1
        if position != last {
            entries[position] = entries[last]
            index[Int(entries[position].slot)] = Int32(position + 1)
        }
        (entries + last).deinitialize(count: 1)
        count -= 1
    }

    /// The same for both directions: the two endpoints' hashes are added.
    @inline(__always)
    static func hash(_ headers: PacketHeaders) -> UInt32 {
        let one = mix(headers.source.high ^ mix(headers.source.low ^ UInt64(headers.sourcePort)))
        let other = mix(headers.destination.high ^ mix(headers.destination.low ^ UInt64(headers.destinationPort)))
        return UInt32(truncatingIfNeeded: mix(one &+ other ^ UInt64(headers.ipProtocol) << 56))
    }

    /// splitmix64's finaliser.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    @inline(__always)
    private static func matches(_ entry: FlowEntry, _ headers: PacketHeaders) -> Bool {
        guard entry.ipProtocol == headers.ipProtocol else { return false }
        return (entry.client == headers.source && entry.clientPort == headers.sourcePort
                && entry.server == headers.destination && entry.serverPort == headers.destinationPort)
            || (entry.client == headers.destination && entry.clientPort == headers.destinationPort
                && entry.server == headers.source && entry.serverPort == headers.sourcePort)
    }
}
