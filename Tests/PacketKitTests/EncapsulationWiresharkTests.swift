import Foundation
import PacketKit
import TapsterSystemTestSupport
import Testing

/// What tshark makes of our outer frames with no settings (no "decode as"): the ERSPAN session id, the
/// GRE protocol, the VXLAN VNI and the inner TCP SYN web → db:5432 must all come out.
@Suite("Encapsulations decoded by tshark", .enabled(if: WiresharkTools.available, "tshark is not installed"))
struct EncapsulationWiresharkTests {
    static let capture: UInt64 = 1_700_000_000_123_456_789

    @Test("ERSPAN II, ERSPAN III, VXLAN and GRE-TEB round trip through tshark")
    func roundTrip() throws {
        var builder = OuterFrameBuilder(sourceMAC: MACAddress(0x02, 0, 0, 0, 0, 1), destinationMAC: MACAddress(0x02, 0, 0, 0, 0, 2),
                                        source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 0, 2, 9))
        var erspan2 = try ERSPANTypeIIEncapsulator(sessionID: 100, index: 3)
        var erspan3 = try ERSPANTypeIIIEncapsulator(sessionID: 200, hardwareID: 1)
        var vxlan = try VXLANEncapsulator(vni: 5001)
        var teb = GRETransparentEthernetEncapsulator(key: 42)
        let inner = InnerFrames.tcpSyn()
        let info = MirroredFrameInfo(timestamp: Self.capture, direction: .egress)

        var pcap = ClassicPcapWriter()
        var frame: [UInt8] = []
        func add<E: PacketEncapsulator>(_ encapsulator: inout E, at offset: UInt64) throws {
            frame.removeAll(keepingCapacity: true)
            try builder.build(inner, with: &encapsulator, info: info, into: &frame)
            pcap.append(frame, timestamp: Self.capture + offset)
        }
        try add(&erspan2, at: 0)
        try add(&erspan2, at: 1)
        try add(&erspan3, at: 2)
        try add(&vxlan, at: 3)
        try add(&teb, at: 4)

        let rows = try ScratchDirectory.with(label: "packetkit") { directory in
            let file = directory.appendingPathComponent("mirror.pcap")
            try Data(pcap.bytes).write(to: file)
            return try WiresharkTools.fields(file, [
                "erspan.version", "erspan.spanid", "gre.proto", "gre.key", "gre.sequence_number", "vxlan.vni",
                "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "erspan.timestamp", "erspan.direction",
                "_ws.malformed", "frame.time_epoch",
            ])
        }
        try #require(rows.count == 5)
        let inner5Tuple = ["192.0.2.1,10.0.0.2", "192.0.2.9,10.0.0.3", "43210", "5432", "1"]
        #expect(rows[0] == ["1", "100", "0x88be", "", "0"] + [""] + inner5Tuple + ["", "", "", "1700000000.123456789"])
        #expect(rows[1][4] == "1", "the GRE sequence number counts ERSPAN II packets")
        #expect(Array(rows[2][0..<6]) == ["2", "200", "0x22eb", "", "0", ""])
        #expect(Array(rows[2][6..<11]) == inner5Tuple)
        #expect(rows[2][11] == String((Self.capture / 100_000) % (1 << 32)))
        #expect(rows[2][12] == "1", "direction egress")
        #expect(Array(rows[3][0..<6]) == ["", "", "", "", "", "5001"])
        #expect(Array(rows[3][6..<11]) == inner5Tuple)
        #expect(Array(rows[4][0..<6]) == ["", "", "0x6558", "0x0000002a", "", ""])
        #expect(Array(rows[4][6..<11]) == inner5Tuple)
        for row in rows { #expect(row[13] == "", "no malformed packets") }
    }
}
