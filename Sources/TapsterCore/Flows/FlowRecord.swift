#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A summary of one flow that a `flows` tap saw on one tapped interface of one host: who opened it and who
/// answered, how much went each way, the TCP flags seen, when, and the HTTP exchanges read from it. Never
/// payload: agents send these instead of packets.
///
/// Counters are totals since ``firstSeen``, so a record sent again (the agent re-sends every live flow at
/// least every ``exportInterval``) replaces the previous one rather than adding to it; ``key`` names the flow.
public struct FlowRecord: Codable, Sendable, Hashable {
    /// The tap that summarised it.
    public var tapID: String
    /// The agent (host) that saw it: set by the server from the agent's certificate, never taken from the agent.
    public var host: String
    /// The tapped workload and its interface, on ``host``.
    public var workload: String
    public var interface: String
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …).
    public var ipProtocol: UInt8
    /// The side that opened the flow (sent the SYN, or else the first packet seen).
    public var client: FlowEndpoint
    /// The other side.
    public var server: FlowEndpoint
    public var toServer: FlowCounters
    public var toClient: FlowCounters
    /// TCP flags seen in each direction, OR-ed together.
    public var tcpFlagsToServer: TCPFlags
    public var tcpFlagsToClient: TCPFlags
    public var firstSeen: Date
    public var lastSeen: Date
    /// The round-trip time the TCP handshake showed on the tapped interface (SYN → SYN-ACK → ACK), in
    /// microseconds; nil when the handshake was not seen.
    public var rttMicroseconds: UInt64?
    public var end: FlowEnd
    /// HTTP/1.x exchanges completed on the flow since its previous record.
    public var http: [HTTPExchange]

    /// How often an agent sends a live flow's record again, at the latest.
    public static let exportInterval: TimeInterval = 10

    public init(tapID: String, host: String = "", workload: String, interface: String, ipProtocol: UInt8, client: FlowEndpoint,
                server: FlowEndpoint, toServer: FlowCounters = FlowCounters(), toClient: FlowCounters = FlowCounters(),
                tcpFlagsToServer: TCPFlags = [], tcpFlagsToClient: TCPFlags = [], firstSeen: Date, lastSeen: Date,
                rttMicroseconds: UInt64? = nil, end: FlowEnd = .live, http: [HTTPExchange] = []) {
        self.tapID = tapID
        self.host = host
        self.workload = workload
        self.interface = interface
        self.ipProtocol = ipProtocol
        self.client = client
        self.server = server
        self.toServer = toServer
        self.toClient = toClient
        self.tcpFlagsToServer = tcpFlagsToServer
        self.tcpFlagsToClient = tcpFlagsToClient
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.rttMicroseconds = rttMicroseconds
        self.end = end
        self.http = http
    }

    // The API's JSON is snake_case (`tap_id`), which decodes to `tapId`: the key says so.
    private enum CodingKeys: String, CodingKey {
        case tapID = "tapId"
        case host, workload, interface, ipProtocol, client, server, toServer, toClient, tcpFlagsToServer, tcpFlagsToClient
        case firstSeen, lastSeen, rttMicroseconds, end, http
    }

    /// What names the flow across its records: the tap, where it was seen, the 5-tuple and when it began.
    public var key: FlowKey {
        FlowKey(tapID: tapID, host: host, workload: workload, interface: interface, ipProtocol: ipProtocol, client: client, server: server,
                firstSeen: firstSeen)
    }
}

/// The identity of a flow across the records sent for it (``FlowRecord/key``).
public struct FlowKey: Sendable, Hashable {
    public var tapID: String
    public var host: String
    public var workload: String
    public var interface: String
    public var ipProtocol: UInt8
    public var client: FlowEndpoint
    public var server: FlowEndpoint
    public var firstSeen: Date
}

/// One end of a flow.
public struct FlowEndpoint: Codable, Sendable, Hashable, CustomStringConvertible {
    /// IPv4 or IPv6, in its usual text form.
    public var address: String
    /// The TCP or UDP port; 0 for protocols without ports.
    public var port: UInt16

    public init(address: String, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `10.0.0.1:80`, `[fd00::1]:80`, or the address alone without a port.
    public var description: String {
        guard port != 0 else { return address }
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// Packets and bytes (wire lengths) one way.
public struct FlowCounters: Codable, Sendable, Hashable {
    public var packets: UInt64
    public var bytes: UInt64

    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// TCP header flags, as they appear in the header's flags byte.
public struct TCPFlags: OptionSet, Codable, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

/// How a flow ended, or that it has not.
public enum FlowEnd: String, Codable, Sendable, CaseIterable {
    /// Still open.
    case live
    /// TCP closed with a FIN each way.
    case fin
    /// TCP reset.
    case reset
    /// Nothing was seen for the idle timeout.
    case idle
    /// The tap stopped while the flow was open.
    case stopped
}

/// One HTTP/1.x request and its response, as read from a flow: the method, the path with ids templated, the
/// Host header, the status code and the time between them. Never other headers, bodies, query values or cookies.
public struct HTTPExchange: Codable, Sendable, Hashable {
    public var method: String
    /// The path without its query, ids replaced by `{id}` (``HTTPPathTemplate``).
    public var pathTemplate: String
    public var host: String
    public var status: Int
    /// From the request's first packet to the response's first packet, in microseconds.
    public var latencyMicroseconds: UInt64
    public var requestedAt: Date

    public init(method: String, pathTemplate: String, host: String, status: Int, latencyMicroseconds: UInt64, requestedAt: Date) {
        self.method = method
        self.pathTemplate = pathTemplate
        self.host = host
        self.status = status
        self.latencyMicroseconds = latencyMicroseconds
        self.requestedAt = requestedAt
    }
}
