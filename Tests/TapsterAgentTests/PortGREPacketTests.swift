import TapsterSystemTestSupport
import PacketKit
import Testing
@testable import TapsterAgent

/// What the port receiver accepts from its raw GRE socket: keyed GRE-TEB over IPv4, and nothing else.
@Suite("GRE-TEB packets received for ports")
struct PortGREPacketTests {
    static let frame: [UInt8] = TestFrames.frame(7)

    /// An IPv4 header (`headerWords` × 4 bytes, protocol `ipProtocol`) followed by `gre` and the test frame.
    static func packet(_ gre: GREHeader, ipProtocol: UInt8 = 47, headerWords: UInt8 = 5, padding: Int = 0) -> [UInt8] {
        var greBytes: [UInt8] = []
        gre.append(to: &greBytes)
        let headerLength = Int(headerWords) * 4
        let total = headerLength + greBytes.count + frame.count
        var ip = [UInt8](repeating: 0, count: headerLength)
        ip[0] = 0x40 | headerWords
        ip[2] = UInt8(total >> 8)
        ip[3] = UInt8(total & 0xff)
        ip[8] = 64
        ip[9] = ipProtocol
        return ip + greBytes + frame + [UInt8](repeating: 0, count: padding)
    }

    static func parse(_ packet: [UInt8]) -> (key: UInt32, frame: [UInt8])? {
        packet.withUnsafeBytes { bytes in
            GRETransparentEthernetPacket(bytes).map { ($0.key, Array(bytes[$0.frameOffset..<$0.frameOffset + $0.frameLength])) }
        }
    }

    @Test("a keyed GRE-TEB packet yields its key and the whole inner frame")
    func keyed() {
        let parsed = Self.parse(Self.packet(GREHeader(protocolType: 0x6558, key: 42)))
        #expect(parsed?.key == 42)
        #expect(parsed?.frame == Self.frame)
    }

    @Test("sequence numbers, IPv4 options and trailing padding are skipped")
    func sequencedWithOptions() {
        let parsed = Self.parse(Self.packet(GREHeader(protocolType: 0x6558, key: 0xdead_beef, sequenceNumber: 9), headerWords: 6, padding: 6))
        #expect(parsed?.key == 0xdead_beef)
        #expect(parsed?.frame == Self.frame)
    }

    @Test("a packet without a key, of another GRE protocol, or not GRE is refused")
    func refused() {
        #expect(Self.parse(Self.packet(GREHeader(protocolType: 0x6558))) == nil)
        #expect(Self.parse(Self.packet(GREHeader(protocolType: 0x88BE, key: 42, sequenceNumber: 1))) == nil)
        #expect(Self.parse(Self.packet(GREHeader(protocolType: 0x6558, key: 42), ipProtocol: 17)) == nil)
        #expect(Self.parse(Array(Self.packet(GREHeader(protocolType: 0x6558, key: 42)).prefix(30))) == nil)
    }
}
