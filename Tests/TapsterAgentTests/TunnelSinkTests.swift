import TapsterSystemTestSupport
import Foundation
import PacketKit
import TapsterAgent
import Testing

/// A live capture on web's interface, mirrored by a ``TunnelSink`` from the host's namespace to a tool's
/// address, and what tshark on the tool's interface decodes of it with no settings: exactly the packets
/// that crossed web's interface (headers compared one by one against tshark on that interface), inside
/// the right tunnel.
@Suite("Tunnel sinks deliver a live capture to a tool", .serialized)
struct TunnelSinkTests {
    /// Mirrors one web → db:5432 connection through `encapsulation`; returns the reference rows, the tool's
    /// rows and the session's final counters.
    private func mirror(_ encapsulation: TunnelEncapsulation) async throws
        -> (reference: [LiveTshark.Row], tool: [LiveTshark.Row], counters: CaptureCounters) {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let session = CaptureSession(plan: lab.plan(), sink: try lab.sink(encapsulation))
        try await session.start()
        defer { session.stop() }
        try await lab.send(chunks: 10, size: 200)
        let expected = try await lab.settle(session, reference: reference, tool: tool)
        session.stop()
        #expect(try await session.ended() == .stopped(.requested))
        #expect(tool.warnings.isEmpty, "tshark on the tool warned: \(tool.warnings)")
        return (expected, tool.rows, session.counters)
    }

    /// Checks what every tunnel must do: the same packets, in order, none malformed, all counted.
    private func expectExactMirror(_ result: (reference: [LiveTshark.Row], tool: [LiveTshark.Row], counters: CaptureCounters)) {
        #expect(result.reference.count >= 16, "a handshake, 10 segments, their ACKs and the close")
        #expect(result.tool.map(MirrorLab.packet) == result.reference.map(MirrorLab.packet))
        #expect(result.tool.allSatisfy { $0["_ws.malformed"] == "" })
        #expect(result.counters.packets == UInt64(result.reference.count))
        #expect(result.counters.bytes == result.reference.reduce(0) { $0 + UInt64($1["frame.len"].flatMap { UInt64($0) } ?? 0) })
        #expect(result.counters.sendDrops == 0)
        #expect(result.counters.capDrops == 0)
    }

    @Test("ERSPAN II carries every packet with its session id and a sequence number per packet")
    func erspanTypeII() async throws {
        let result = try await mirror(.erspanII(sessionID: 301))
        expectExactMirror(result)
        #expect(result.tool.allSatisfy { $0["gre.proto"] == "0x88be" && $0["erspan.version"] == "1" && $0["erspan.spanid"] == "301" })
        #expect(result.tool.map { $0["gre.sequence_number"] ?? "" } == result.tool.indices.map(String.init))
    }

    @Test("ERSPAN III carries every packet with its session id, capture timestamp and direction")
    func erspanTypeIII() async throws {
        let result = try await mirror(.erspanIII(sessionID: 302))
        expectExactMirror(result)
        #expect(result.tool.allSatisfy { $0["gre.proto"] == "0x22eb" && $0["erspan.version"] == "2" && $0["erspan.spanid"] == "302" })
        #expect(result.tool.map { $0["gre.sequence_number"] ?? "" } == result.tool.indices.map(String.init))
        let web = result.reference.first?["eth.src"] ?? ""
        for (mirrored, original) in zip(result.tool, result.reference) {
            #expect(mirrored["erspan.direction"] == (original["eth.src"] == web ? "1" : "0"), "egress from web is 1, ingress 0")
            // The timestamp word counts 100 µs units; the reference's clock is the same kernel timestamp,
            // printed by tshark in microseconds.
            let word = Int64(mirrored["erspan.timestamp"] ?? "") ?? -1
            let seconds = Decimal(string: original["frame.time_epoch"] ?? "") ?? 0
            let units = Int64(truncating: NSDecimalNumber(decimal: seconds * 10_000)) % (1 << 32)
            #expect(abs(word - units) <= 1, "ERSPAN III timestamp \(word) vs capture time \(units) (100 µs units)")
        }
    }

    @Test("VXLAN carries every packet to UDP 4789 with its VNI")
    func vxlan() async throws {
        let result = try await mirror(.vxlan(vni: 5001))
        expectExactMirror(result)
        #expect(result.tool.allSatisfy { $0["vxlan.vni"] == "5001" && $0["udp.dstport"] == "4789" })
    }

    @Test("GRE transparent Ethernet bridging carries every packet with its key")
    func greTransparentEthernet() async throws {
        let result = try await mirror(.gre(key: 42))
        expectExactMirror(result)
        #expect(result.tool.allSatisfy { $0["gre.proto"] == "0x6558" && $0["gre.key"] == "0x0000002a" })
    }

    @Test("Frames longer than the path MTU reach the tool whole, in IP fragments it reassembles")
    func oversizedFramesAreFragmented() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let session = CaptureSession(plan: lab.plan(), sink: try lab.sink(.erspanII(sessionID: 11)))
        try await session.start()
        defer { session.stop() }
        // Large writes: the veth's segmentation offload hands the capture frames of many kilobytes.
        try await lab.send(chunks: 4, size: 20_000, gap: 0.02)
        let expected = try await lab.settle(session, reference: reference, tool: tool, mirrored: MirrorLab.reassembled)

        let whole = MirrorLab.reassembled(tool)
        #expect(expected.contains { Int($0["frame.len"] ?? "") ?? 0 > 1514 }, "some captured frames exceed the tool link's MTU")
        #expect(whole.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
        #expect(tool.rows.count > whole.count, "they travelled in fragments")
        #expect(whole.allSatisfy { $0["_ws.malformed"] == "" })
        #expect(session.counters.sendDrops == 0)
    }
}
