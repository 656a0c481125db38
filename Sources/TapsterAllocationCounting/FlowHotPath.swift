import Foundation
import TapsterAgent

/// Capture → flow sink: HTTP/1.x traffic on 256 keep-alive connections (web → api:8080), handed to a
/// ``FlowSink`` as the capture loop hands it over (a flush after every round of 128). Each step is a
/// request (`GET /users/123/orders/9f3a0c1d?page=2`, Host, a cookie), its response with a 16-byte body, and
/// the client's ACK, on one connection after another, with the sequence numbers each side's bytes make: so
/// every packet finds its flow in the table, every request and status line is read and paired, and answered
/// exchanges leave in records through the export queue, which is emptied every 8 rounds as a drain would
/// (without making the records, which the draining thread does, not the capture's).
public final class FlowHotPath: HotPath {
    public let name = "capture → flow sink (HTTP on 256 connections, records queued)"
    private let export: FlowExport
    private let sink: FlowSink
    /// Per connection: the request, response and ACK frames, whose sequence fields are set before each send.
    private var frames: [[UInt8]]
    private var clientSequence: [UInt32]
    private var serverSequence: [UInt32]
    private var clock = CapturedFrame.firstTimestamp
    private var step = 0
    /// Records taken from the queue, so that the taking cannot be optimised away.
    public private(set) var recordsTaken = 0

    static let connections = 256
    static let roundsPerDrain = 8

    public init() {
        export = FlowExport(tapID: "bench")
        let plan = CapturePlan(tapID: "bench", source: CaptureSource(workload: "web", namespace: .host, interface: "eth0"),
                               deadline: .distantFuture)
        // The packets' own time only: the bench's timestamps are in 2023.
        sink = FlowSink(plan: plan, export: export, clock: { 0 })
        let request = Array("GET /users/123/orders/9f3a0c1d?page=2 HTTP/1.1\r\nHost: api\r\nCookie: a=b\r\n\r\n".utf8)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n0123456789abcdef".utf8)
        frames = (0..<Self.connections).flatMap { connection in
            let port = UInt16(20_000 + connection)
            return [Self.segment(from: [10, 0, 0, 2], port, to: [10, 0, 0, 4], 8080, payload: request),
                    Self.segment(from: [10, 0, 0, 4], 8080, to: [10, 0, 0, 2], port, payload: response),
                    Self.segment(from: [10, 0, 0, 2], port, to: [10, 0, 0, 4], 8080, payload: [])]
        }
        clientSequence = [UInt32](repeating: 1, count: Self.connections)
        serverSequence = [UInt32](repeating: 1, count: Self.connections)
    }

    deinit { sink.close() }

    public func run(packets: Int) -> Int {
        var left = packets
        var rounds = 0
        while left > 0 {
            let round = min(left, CapturedFrame.packetsPerRound)
            for _ in 0..<round { sendNext() }
            left -= round
            _ = sink.flush()
            rounds += 1
            if rounds % Self.roundsPerDrain == 0 { recordsTaken += export.discardQueued() }
        }
        recordsTaken += export.discardQueued()
        return packets
    }

    /// The next packet of the pattern: request, response, ACK, then the next connection.
    private func sendNext() {
        let connection = (step / 3) % Self.connections
        let kind = step % 3
        step += 1
        clock &+= 1_000
        let fromClient = kind != 1
        let sequence = fromClient ? clientSequence[connection] : serverSequence[connection]
        let acknowledgement = fromClient ? serverSequence[connection] : clientSequence[connection]
        let index = connection * 3 + kind
        frames[index].withUnsafeMutableBytes { frame in
            frame.storeBytes(of: sequence.bigEndian, toByteOffset: 38, as: UInt32.self)
            frame.storeBytes(of: acknowledgement.bigEndian, toByteOffset: 42, as: UInt32.self)
            sink.accept(UnsafeRawBufferPointer(frame), originalLength: frame.count, timestampNanoseconds: clock)
            let payload = UInt32(frame.count - 54)
            if fromClient { clientSequence[connection] &+= payload } else { serverSequence[connection] &+= payload }
        }
    }

    /// Ethernet + IPv4 + TCP (PSH-ACK) + `payload`.
    private static func segment(from source: [UInt8], _ sourcePort: UInt16, to destination: [UInt8], _ destinationPort: UInt16,
                                payload: [UInt8]) -> [UInt8] {
        let length = 40 + payload.count
        var frame: [UInt8] = [0x02, 0x42, 0x0a, 0, 0, 4, 0x02, 0x42, 0x0a, 0, 0, 2, 0x08, 0x00]
        frame += [0x45, 0, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination
        frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
        frame += [0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x18, 0x01, 0xf5, 0, 0, 0, 0] + payload
        return frame
    }
}
