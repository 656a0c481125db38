import TapsterSystemTestSupport
import Foundation
import PacketKit
@testable import TapsterAgent
import TapsterCore
import Testing

/// The set-up most capture and tunnel tests share: a ``NetnsTopology`` with listeners on `db` and `peer`,
/// tshark watching web's interface (the reference: what really crossed it) and the tool's interface (what
/// the tunnel delivered), and a ``CaptureSession`` on web's interface mirroring to the tool.
final class MirrorLab: @unchecked Sendable {
    let topology: NetnsTopology
    let directory: ScratchDirectory
    private var processes: [BackgroundProcess] = []
    private var captures: [LiveTshark] = []

    /// The fields compared between the reference and the tool: the inner frame's headers.
    static let packetFields = ["eth.src", "eth.dst", "ip.src", "ip.dst", "ip.id", "tcp.srcport", "tcp.dstport",
                               "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len"]
    /// What the tool's rows also carry: the outer frame and the tunnel headers.
    static let tunnelFields = ["frame.len", "frame.time_epoch", "gre.proto", "gre.key", "gre.sequence_number", "erspan.version",
                               "erspan.spanid", "erspan.timestamp", "erspan.direction", "erspan.truncated", "vxlan.vni",
                               "udp.dstport", "_ws.malformed"]

    var web: NetnsTopology.Host { topology["web"] }
    var db: NetnsTopology.Host { topology["db"] }
    var peer: NetnsTopology.Host { topology["peer"] }

    private init(topology: NetnsTopology, directory: ScratchDirectory) {
        self.topology = topology
        self.directory = directory
    }

    /// Builds the topology and starts the listeners; on failure removes everything it made.
    static func make() async throws -> MirrorLab {
        let topology = try NetnsTopology()
        let lab: MirrorLab
        do {
            lab = MirrorLab(topology: topology, directory: try ScratchDirectory(label: topology.prefix))
        } catch {
            topology.remove()
            throw error
        }
        do {
            lab.processes.append(try await TCPTraffic.listen(on: topology["db"], topology: topology, directory: lab.directory))
            lab.processes.append(try await TCPTraffic.listen(on: topology["peer"], topology: topology, directory: lab.directory))
        } catch {
            lab.tearDown()
            throw error
        }
        return lab
    }

    /// Starts tshark on web's interface (every packet) and on the tool's (what is addressed to it), both
    /// capturing when this returns.
    func watch() async throws -> (reference: LiveTshark, tool: LiveTshark) {
        async let reference = referenceCapture()
        async let tool = LiveTshark(name: "tool", namespace: topology.tool.namespace, interface: topology.tool.interface,
                                    captureFilter: "dst host \(topology.tool.address)", fields: Self.packetFields + Self.tunnelFields,
                                    topology: topology, directory: directory)
        let watchers = try await (reference, tool)
        captures += [watchers.0, watchers.1]
        return watchers
    }

    /// Starts tshark on web's interface (the reference) and on `port`'s interface in its namespace (its TCP
    /// packets: what was delivered into it), both capturing when this returns.
    func watch(port: NetnsTopology.Host) async throws -> (reference: LiveTshark, port: LiveTshark) {
        async let reference = referenceCapture()
        async let delivered = LiveTshark(name: "port", namespace: port.namespace, interface: port.interface, captureFilter: "tcp",
                                         fields: Self.packetFields, topology: topology, directory: directory)
        let watchers = try await (reference, delivered)
        captures += [watchers.0, watchers.1]
        return watchers
    }

    /// tshark on web's interface: every packet that crossed it.
    private func referenceCapture() async throws -> LiveTshark {
        try await LiveTshark(name: "reference", namespace: web.namespace, interface: web.interface,
                             fields: Self.packetFields + ["frame.len", "frame.time_epoch"], topology: topology, directory: directory)
    }

    /// A plan for web's `eth0`, ending in a minute unless `deadline` says otherwise.
    func plan(bpf: String = "", snaplen: Int = 0, direction: Direction = .both, deadline: Date? = nil,
              bandwidthCap: UInt64? = nil, interface: String? = nil) -> CapturePlan {
        CapturePlan(tapID: "tap-\(topology.prefix)",
                    source: CaptureSource(workload: "web", namespace: .named(web.namespace), interface: interface ?? web.interface),
                    bpf: bpf, snaplen: snaplen, direction: direction, deadline: deadline ?? Date().addingTimeInterval(60),
                    bandwidthCap: bandwidthCap)
    }

    /// A tunnel from the host's namespace (this thread's) to the tool, knowing web's MAC.
    func sink(_ encapsulation: TunnelEncapsulation) throws -> TunnelSink {
        try TunnelSink(encapsulation: encapsulation, destination: try #require(IPv4Address(topology.tool.address)),
                       localMAC: MACAddress(web.mac))
    }

    /// One TCP connection from web to `server` (db by default) carrying `chunks` × `size` bytes.
    func send(to server: NetnsTopology.Host? = nil, chunks: Int = 10, size: Int = 200, gap: Double = 0.005) async throws {
        try await TCPTraffic.send(from: web, to: server ?? db, chunks: chunks, size: size, gap: gap, topology: topology, directory: directory)
    }

    /// Waits until the reference has seen `connections` whole TCP connections (two FINs each and the last
    /// ACK), the session has captured the `expected` ones among them, and the tool has received every
    /// packet the session forwarded. Returns the reference rows the session should have captured.
    @discardableResult
    ///
    /// `mirrored` says which of the tool's rows are mirrored packets: all of them, unless IP fragments are
    /// expected (see ``reassembled(_:)``).
    func settle(_ session: any SourceCapture, reference: LiveTshark, tool: LiveTshark, connections: Int = 1,
                expected: @escaping (LiveTshark.Row) -> Bool = { _ in true },
                mirrored: (LiveTshark) -> [LiveTshark.Row] = { $0.rows }) async throws -> [LiveTshark.Row] {
        let rows: [LiveTshark.Row]
        do {
            rows = try await eventually(timeout: .seconds(60), "the reference to see \(connections) closed connection(s)") { () -> [LiveTshark.Row]? in
                let rows = reference.rows
                guard Self.finishedDirections(rows) == 2 * connections, let last = rows.last, Self.flags(last) & 0x001 == 0 else { return nil }
                return rows
            }
        } catch let timeout as TimedOut {
            // What the reference saw instead: a reset, a lost FIN, or tshark falling behind read differently.
            let rows = reference.rows
            let flags = rows.suffix(6).map { String(Self.flags($0), radix: 16) }
            throw TimedOut(what: timeout.what + "; the reference has \(rows.count) rows, "
                + "\(rows.filter { Self.flags($0) & 0x001 != 0 }.count) with FIN (\(Self.finishedDirections(rows)) directions finished), \(rows.filter { Self.flags($0) & 0x004 != 0 }.count) with RST, "
                + "the last flags \(flags), warnings \(reference.warnings)", timeout: timeout.timeout)
        }
        // The reference is read again while waiting: a packet can still follow the closing ACK (a window update, a
        // retransmission), and the session and the reference then agree on a count one higher than the first read.
        do {
            return try await eventually(timeout: .seconds(60), "the session to capture the reference's \(rows.filter(expected).count)+ packets and the tool to receive them") { () -> [LiveTshark.Row]? in
                let counters = session.counters
                let selected = reference.rows.filter(expected)
                return counters.packets == UInt64(selected.count) && UInt64(mirrored(tool).count) == counters.forwarded ? selected : nil
            }
        } catch let timeout as TimedOut {
            // Packets no test sent (the lab should have none): what crossed before a capture started is a count apart.
            let foreign = reference.rows.filter { ($0["tcp.srcport"] ?? "").isEmpty }.map { row in
                "\(row["eth.src"] ?? "") > \(row["eth.dst"] ?? "") \(row["ip.src"] ?? "") > \(row["ip.dst"] ?? "") at \(row["frame.time_epoch"] ?? "")"
            }
            throw TimedOut(what: timeout.what + "; the reference has \(reference.rows.filter(expected).count) selected packets, the session counted \(session.counters) (\(session.state)), the tool has "
                + "\(mirrored(tool).count) packets in \(tool.rows.count) rows, tool warnings \(tool.warnings), packets other than TCP in the reference \(foreign)",
                           timeout: timeout.timeout)
        }
    }

    /// Stops everything and removes the namespaces and files. Idempotent; call it in a `defer`.
    func tearDown() {
        for capture in captures { capture.stop() }
        for process in processes { process.stop(grace: .seconds(1)) }
        captures = []
        processes = []
        topology.remove()
        directory.remove()
    }

    /// The tool's rows that carry a whole mirrored packet: tshark reassembles IP fragments and decodes the
    /// tunnel in the row of the last fragment, leaving the others without inner headers.
    static func reassembled(_ tool: LiveTshark) -> [LiveTshark.Row] {
        tool.rows.filter { !($0["tcp.srcport"] ?? "").isEmpty }
    }

    /// How many directions of TCP connections have sent their FIN: a connection closed both ways counts two. By
    /// sender and receiver, not by row: a FIN retransmitted under load (the reference once saw three FIN rows for one
    /// connection, and the wait for exactly two never ended) is the same direction finishing.
    static func finishedDirections(_ rows: [LiveTshark.Row]) -> Int {
        Set(rows.filter { flags($0) & 0x001 != 0 }.map { row in
            ["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport"].map { row[$0] ?? "" }
        }).count
    }

    /// The TCP flags of a row (`0x0012` → 0x12).
    static func flags(_ row: LiveTshark.Row) -> Int {
        Int((row["tcp.flags"] ?? "").dropFirst(2), radix: 16) ?? 0
    }

    /// The inner packet's headers, comparable between the reference and the tool.
    static func packet(_ row: LiveTshark.Row) -> [String] {
        packetFields.map { row[$0] ?? "" }
    }
}
