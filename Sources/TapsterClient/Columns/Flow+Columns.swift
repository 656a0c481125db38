import Foundation
import TapsterCore

extension FlowView: TableRenderable {
    public static var resourceKind: String { "flow" }
    public static var columns: [Column<FlowView>] {
        [
            Column("LAST SEEN") { view, now in RelativeTime.age(of: view.flow.lastSeen, now: now) },
            Column("PROTO") { FlowMap.protocolName($0.flow.ipProtocol) },
            Column("CLIENT") { end(view: $0, $0.clientWorkload, $0.flow.client) },
            Column("SERVER") { end(view: $0, $0.serverWorkload, $0.flow.server) },
            Column("→ PKTS/BYTES") { "\($0.flow.toServer.packets)/\($0.flow.toServer.bytes)" },
            Column("← PKTS/BYTES") { "\($0.flow.toClient.packets)/\($0.flow.toClient.bytes)" },
            Column("FLAGS") { flags($0.flow.tcpFlagsToServer) + " " + flags($0.flow.tcpFlagsToClient) },
            Column("RTT") { $0.flow.rttMicroseconds.map { "\($0)µs" } ?? "" },
            Column("END") { $0.flow.end.rawValue },
            Column("HOST") { $0.flow.host },
        ]
    }
    public var outputName: String { "\(flow.host)/\(flow.client)-\(flow.server)" }

    /// `web-1 (10.0.0.5:41234)`, or the address alone when the end is not a visible workload.
    private static func end(view: FlowView, _ peer: FlowPeer?, _ endpoint: FlowEndpoint) -> String {
        peer.map { "\($0.name) (\(endpoint))" } ?? endpoint.description
    }

    /// tcpdump's letters: `S` SYN, `F` FIN, `R` RST, `P` PSH, `.` ACK; `-` for none (or not TCP).
    static func flags(_ flags: TCPFlags) -> String {
        let letters = [(TCPFlags.syn, "S"), (.fin, "F"), (.rst, "R"), (.psh, "P"), (.ack, ".")].compactMap { flags.contains($0.0) ? $0.1 : nil }
        return letters.isEmpty ? "-" : letters.joined()
    }
}

extension FlowMap.Edge: TableRenderable {
    public static var resourceKind: String { "edge" }
    public static var columns: [Column<FlowMap.Edge>] {
        [
            Column("FROM") { $0.from },
            Column("TO") { $0.to },
            Column("PORT") { "\($0.protocol)/\($0.port)" },
            Column("CONNECTIONS") { String($0.connections) },
            Column("RESETS") { String($0.resets) },
            Column("PACKETS") { String($0.packets) },
            Column("BYTES") { String($0.bytes) },
        ]
    }
    public var outputName: String { "\(from)->\(to):\(`protocol`)/\(port)" }
}

extension FlowMap: TableRenderable {
    public static var resourceKind: String { "flow-map" }
    public static var columns: [Column<FlowMap>] {
        [Column("NODES") { String($0.nodes.count) }, Column("EDGES") { String($0.edges.count) }, Column("GROUPED BY") { $0.groupBy }]
    }
    public var outputName: String { "map" }
}

extension APIEndpoint: TableRenderable {
    public static var resourceKind: String { "api" }
    public static var columns: [Column<APIEndpoint>] {
        [
            Column("SERVER") { $0.server },
            Column("METHOD") { $0.method },
            Column("PATH") { $0.pathTemplate },
            Column("CALLS") { String($0.calls) },
            Column("2XX") { String($0.statusClasses["2xx"] ?? 0) },
            Column("3XX") { String($0.statusClasses["3xx"] ?? 0) },
            Column("4XX") { String($0.statusClasses["4xx"] ?? 0) },
            Column("5XX") { String($0.statusClasses["5xx"] ?? 0) },
            Column("P50") { latency($0.latencyP50Microseconds) },
            Column("P99") { latency($0.latencyP99Microseconds) },
            Column("CALLERS") { $0.callers.joined(separator: ",") },
        ]
    }
    public var outputName: String { "\(server) \(method) \(pathTemplate)" }

    private static func latency(_ microseconds: UInt64) -> String {
        microseconds >= 10_000 ? "\(microseconds / 1000)ms" : "\(microseconds)µs"
    }
}
