#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who talks to whom: the graph of a set of flows, nodes grouped by a label (e.g. `app`), as `tapster map`
/// prints it and the portal draws it.
///
/// A workload is its group's node (`app=web`), or its own name when it lacks the label; an end that is not
/// a visible workload is its address. An edge goes from the node that opened connections to the node that
/// answered, per protocol and server port, with the flows' bytes and packets (both ways), how many
/// connections (flows) and how many of them were reset.
public struct FlowMap: Codable, Sendable, Equatable {
    public struct Node: Codable, Sendable, Hashable, Comparable {
        /// `app=web`, a workload's name, or an address.
        public var id: String
        /// Whether the node is a group of workloads, one workload, or an address.
        public var kind: Kind

        public enum Kind: String, Codable, Sendable { case group, workload, address }

        public static func < (lhs: Node, rhs: Node) -> Bool { lhs.id < rhs.id }
    }

    public struct Edge: Codable, Sendable, Hashable {
        public var from: String
        public var to: String
        /// `tcp`, `udp`, `icmp`, or the protocol number.
        public var `protocol`: String
        public var port: UInt16
        public var bytes: UInt64
        public var packets: UInt64
        public var connections: Int
        public var resets: Int
    }

    public var groupBy: String
    public var nodes: [Node]
    public var edges: [Edge]

    /// The map of `views`, grouped by the label `groupBy`.
    public init(_ views: [FlowView], groupBy: String) {
        self.groupBy = groupBy
        var nodes = Set<Node>()
        struct Key: Hashable { var from: String, to: String, proto: String, port: UInt16 }
        var edges: [Key: Edge] = [:]
        for view in views {
            let from = Self.node(view.clientWorkload, address: view.flow.client.address, groupBy: groupBy)
            let to = Self.node(view.serverWorkload, address: view.flow.server.address, groupBy: groupBy)
            nodes.insert(from)
            nodes.insert(to)
            let proto = Self.protocolName(view.flow.ipProtocol)
            let key = Key(from: from.id, to: to.id, proto: proto, port: view.flow.server.port)
            var edge = edges[key] ?? Edge(from: from.id, to: to.id, protocol: proto, port: view.flow.server.port, bytes: 0, packets: 0,
                                          connections: 0, resets: 0)
            edge.bytes += view.flow.toServer.bytes + view.flow.toClient.bytes
            edge.packets += view.flow.toServer.packets + view.flow.toClient.packets
            edge.connections += 1
            if view.flow.end == .reset || view.flow.tcpFlagsToServer.contains(.rst) || view.flow.tcpFlagsToClient.contains(.rst) {
                edge.resets += 1
            }
            edges[key] = edge
        }
        self.nodes = nodes.sorted()
        self.edges = edges.values.sorted { ($0.from, $0.to, $0.protocol, $0.port) < ($1.from, $1.to, $1.protocol, $1.port) }
    }

    static func node(_ peer: FlowPeer?, address: String, groupBy: String) -> Node {
        guard let peer else { return Node(id: address, kind: .address) }
        if let value = peer.labels[groupBy] { return Node(id: "\(groupBy)=\(value)", kind: .group) }
        return Node(id: peer.name, kind: .workload)
    }

    /// The usual name of an IP protocol number.
    public static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "icmpv6"
        case 132: "sctp"
        default: String(number)
        }
    }

    /// The map in Graphviz's DOT language: one node statement per node, one edge per edge, labelled
    /// `tcp/5432 3 conn 12345 B` (and the resets when there were some).
    public var dot: String {
        var lines = ["digraph flows {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for node in nodes {
            let shape = node.kind == .address ? ", shape=ellipse, style=dashed" : ""
            lines.append("  \(Self.quoted(node.id)) [label=\(Self.quoted(node.id))\(shape)];")
        }
        for edge in edges {
            var label = "\(edge.protocol)/\(edge.port) \(edge.connections) conn \(edge.bytes) B"
            if edge.resets > 0 { label += " \(edge.resets) reset" }
            lines.append("  \(Self.quoted(edge.from)) -> \(Self.quoted(edge.to)) [label=\(Self.quoted(label))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` as a DOT quoted string, `"` and `\` escaped. By Unicode scalar: one that a combining mark or a
    /// zero-width joiner follows is part of a longer Character, which a search by Character would not find, and,
    /// unescaped, it would end the string or escape its closing quote.
    static func quoted(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append("\"")
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { scalars.append("\\") }
            scalars.append(scalar)
        }
        scalars.append("\"")
        return String(scalars)
    }
}
