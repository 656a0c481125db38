import Foundation
import TapsterSystemTestSupport
@testable import TapsterAgent
import TapsterCore

/// Drives a ``FlowSink`` with synthetic frames on a clock the test moves: each packet is stamped `now`,
/// and `flush` reads the same clock.
final class FlowDriver {
    /// The clock (ns since the epoch), shared with the sink.
    final class Clock: @unchecked Sendable { var now: UInt64 = 1_700_000_000_000_000_000 }
    let clock = Clock()
    let export: FlowExport
    let sink: FlowSink

    init(limits: FlowLimits = FlowLimits()) {
        export = FlowExport(tapID: "tap-1", limits: limits)
        let clock = clock
        sink = FlowSink(plan: CapturePlan(tapID: "tap-1", source: CaptureSource(workload: "web", namespace: .host, interface: "eth0"),
                                          deadline: Date().addingTimeInterval(60)),
                        export: export, limits: limits, clock: { clock.now })
    }

    var now: UInt64 { clock.now }

    /// Moves the clock on.
    func wait(_ duration: Duration) { clock.now += duration.nanoseconds }

    /// `after` from now, the capture hands `frame` over (a flush follows, as after a capture round).
    func send(_ frame: [UInt8], after: Duration = .milliseconds(1)) {
        wait(after)
        frame.withUnsafeBytes { sink.accept($0, originalLength: frame.count, timestampNanoseconds: clock.now) }
        _ = sink.flush()
    }

    /// `after` from now, a flush with no packets (the capture loop's idle flush).
    func idle(_ after: Duration) {
        wait(after)
        _ = sink.flush()
    }

    func drain() -> FlowExportBatch { export.drain() }
}

/// One TCP connection between two endpoints, sequence numbers kept on both sides.
final class TCPConversation {
    typealias F = SyntheticFrames
    let driver: FlowDriver
    let client: [UInt8], clientPort: UInt16, server: [UInt8], serverPort: UInt16
    var clientSequence: UInt32 = 1_000, serverSequence: UInt32 = 900_000

    init(_ driver: FlowDriver, client: [UInt8] = F.web, clientPort: UInt16 = 43210, server: [UInt8] = F.db, serverPort: UInt16 = 80) {
        self.driver = driver
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
    }

    func fromClient(_ flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        defer { clientSequence &+= UInt32(payload.count) + (flags & (F.syn | F.fin) != 0 ? 1 : 0) }
        return F.tcp(from: client, clientPort, to: server, serverPort, flags: flags, sequence: clientSequence,
                     acknowledgement: serverSequence, payload: payload)
    }

    func fromServer(_ flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        defer { serverSequence &+= UInt32(payload.count) + (flags & (F.syn | F.fin) != 0 ? 1 : 0) }
        return F.tcp(from: server, serverPort, to: client, clientPort, flags: flags, sequence: serverSequence,
                     acknowledgement: clientSequence, payload: payload)
    }

    /// SYN, SYN-ACK `synAck` later, ACK `ack` after that.
    func handshake(synAck: Duration = .milliseconds(3), ack: Duration = .milliseconds(2)) {
        driver.send(fromClient(F.syn))
        driver.send(fromServer(F.syn | F.ack), after: synAck)
        driver.send(fromClient(F.ack), after: ack)
    }

    func clientSends(_ text: String, after: Duration = .milliseconds(1)) {
        driver.send(fromClient(F.psh | F.ack, Array(text.utf8)), after: after)
    }

    func serverSends(_ text: String, after: Duration = .milliseconds(1)) {
        driver.send(fromServer(F.psh | F.ack, Array(text.utf8)), after: after)
    }

    /// FIN from the client, FIN-ACK from the server, the client's last ACK.
    func close() {
        driver.send(fromClient(F.fin | F.ack))
        driver.send(fromServer(F.fin | F.ack))
        driver.send(fromClient(F.ack))
    }
}
