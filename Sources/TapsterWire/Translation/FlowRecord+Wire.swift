import Foundation
import TapsterCore

extension FlowRecord {
    /// The record a `FlowRecord` message carries. `host` stays empty: the server takes it from the agent's
    /// certificate. Ports beyond 16 bits and protocols beyond 8 are cut to size; an unknown end is `live`.
    public init(_ message: Tapster_Agent_V1_FlowRecord) {
        self.init(tapID: message.tapID, workload: message.workload, interface: message.interface,
                  ipProtocol: UInt8(truncatingIfNeeded: message.ipProtocol),
                  client: FlowEndpoint(address: message.clientAddress, port: UInt16(truncatingIfNeeded: message.clientPort)),
                  server: FlowEndpoint(address: message.serverAddress, port: UInt16(truncatingIfNeeded: message.serverPort)),
                  toServer: FlowCounters(packets: message.packetsToServer, bytes: message.bytesToServer),
                  toClient: FlowCounters(packets: message.packetsToClient, bytes: message.bytesToClient),
                  tcpFlagsToServer: TCPFlags(rawValue: UInt8(truncatingIfNeeded: message.tcpFlagsToServer)),
                  tcpFlagsToClient: TCPFlags(rawValue: UInt8(truncatingIfNeeded: message.tcpFlagsToClient)),
                  firstSeen: WireTime.date(unixNanos: message.firstSeenUnixNanos), lastSeen: WireTime.date(unixNanos: message.lastSeenUnixNanos),
                  rttMicroseconds: message.rttMicros == 0 ? nil : message.rttMicros, end: FlowEnd(message.end),
                  http: message.http.map(HTTPExchange.init))
    }
}

extension Tapster_Agent_V1_FlowRecord {
    /// `record` on the wire (its host is not sent: the server knows which agent spoke).
    public init(_ record: FlowRecord) {
        self.init()
        tapID = record.tapID
        workload = record.workload
        interface = record.interface
        ipProtocol = UInt32(record.ipProtocol)
        clientAddress = record.client.address
        clientPort = UInt32(record.client.port)
        serverAddress = record.server.address
        serverPort = UInt32(record.server.port)
        packetsToServer = record.toServer.packets
        bytesToServer = record.toServer.bytes
        packetsToClient = record.toClient.packets
        bytesToClient = record.toClient.bytes
        tcpFlagsToServer = UInt32(record.tcpFlagsToServer.rawValue)
        tcpFlagsToClient = UInt32(record.tcpFlagsToClient.rawValue)
        firstSeenUnixNanos = WireTime.unixNanos(record.firstSeen)
        lastSeenUnixNanos = WireTime.unixNanos(record.lastSeen)
        rttMicros = record.rttMicroseconds ?? 0
        end = End(record.end)
        http = record.http.map(Tapster_Agent_V1_HTTPExchange.init)
    }
}

extension HTTPExchange {
    /// The exchange an `HTTPExchange` message carries.
    public init(_ message: Tapster_Agent_V1_HTTPExchange) {
        self.init(method: message.method, pathTemplate: message.pathTemplate, host: message.host, status: Int(message.status),
                  latencyMicroseconds: message.latencyMicros, requestedAt: WireTime.date(unixNanos: message.requestUnixNanos))
    }
}

extension Tapster_Agent_V1_HTTPExchange {
    /// `exchange` on the wire.
    public init(_ exchange: HTTPExchange) {
        self.init()
        method = exchange.method
        pathTemplate = exchange.pathTemplate
        host = exchange.host
        status = UInt32(clamping: exchange.status)
        latencyMicros = exchange.latencyMicroseconds
        requestUnixNanos = WireTime.unixNanos(exchange.requestedAt)
    }
}

extension FlowEnd {
    init(_ end: Tapster_Agent_V1_FlowRecord.End) {
        switch end {
        case .live, .UNRECOGNIZED: self = .live
        case .fin: self = .fin
        case .reset: self = .reset
        case .idle: self = .idle
        case .stopped: self = .stopped
        }
    }
}

extension Tapster_Agent_V1_FlowRecord.End {
    init(_ end: FlowEnd) {
        switch end {
        case .live: self = .live
        case .fin: self = .fin
        case .reset: self = .reset
        case .idle: self = .idle
        case .stopped: self = .stopped
        }
    }
}
