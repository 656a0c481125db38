import PacketKit
import TapsterSystemTestSupport
import Testing

/// Reading the headers a flow summary needs from a captured frame, in place (``PacketHeaders``).
@Suite("Packet headers for flows")
struct PacketHeadersTests {
    typealias F = SyntheticFrames

    func read(_ frame: [UInt8]) -> PacketHeaders {
        frame.withUnsafeBytes { PacketHeaders(ethernetFrame: $0) }
    }

    @Test("IPv4 TCP: addresses, ports, flags, sequence numbers and where the payload is")
    func ipv4TCP() {
        let frame = F.tcp(from: F.web, 43210, to: F.db, 80, flags: F.psh | F.ack, sequence: 1000, acknowledgement: 2000,
                          payload: Array("GET / HTTP/1.1\r\n".utf8))
        let headers = read(frame)
        #expect(headers.layer == .transport && headers.ipVersion == 4 && headers.ipProtocol == 6)
        #expect(headers.source == PacketAddress(ipv4: 0x0A00_0002) && headers.destination.description == "10.0.0.3")
        #expect(headers.sourcePort == 43210 && headers.destinationPort == 80)
        #expect(headers.tcpFlags == 0x18 && headers.sequenceNumber == 1000 && headers.acknowledgementNumber == 2000)
        #expect(headers.payloadOffset == 54 && headers.payloadLength == 16)
        let payload = frame.withUnsafeBytes { Array(headers.capturedPayload(in: $0)) }
        #expect(payload == Array("GET / HTTP/1.1\r\n".utf8))
    }

    @Test("Ethernet padding is not payload: the IP length says where the packet ends")
    func padding() {
        let frame = F.tcp(from: F.web, 1, to: F.db, 2, flags: F.ack)
        #expect(frame.count == 60)
        #expect(read(frame).payloadLength == 0)
    }

    @Test("IPv6 UDP behind hop-by-hop and destination options headers")
    func ipv6Extensions() {
        let headers = read(F.udp(from: F.web6, 5353, to: F.db6, 53, payload: [1, 2, 3], extensionHeaders: [0, 60]))
        #expect(headers.layer == .transport && headers.ipVersion == 6 && headers.ipProtocol == 17)
        #expect(headers.source.description == "fd00::2" && headers.destination.description == "fd00::3")
        #expect(headers.sourcePort == 5353 && headers.destinationPort == 53 && headers.payloadLength == 3)
        #expect(headers.payloadOffset == 14 + 40 + 16 + 8)
    }

    @Test("More IPv6 extension headers than are followed: unsupported, not misread")
    func tooManyExtensions() {
        let chain = [UInt8](repeating: 60, count: PacketHeaders.maximumExtensionHeaders + 1)
        #expect(read(F.udp(from: F.web6, 1, to: F.db6, 2, extensionHeaders: chain)).layer == .unsupported)
    }

    @Test("802.1Q and QinQ tags are read past")
    func vlanTags() {
        let single = read(F.tcp(from: F.web, 1, to: F.db, 2, flags: F.syn, vlans: [100]))
        let double = read(F.udp(from: F.web, 1, to: F.db, 2, vlans: [10, 20]))
        #expect(single.vlanTags == 1 && single.layer == .transport && single.destinationPort == 2)
        #expect(double.vlanTags == 2 && double.layer == .transport && double.ipProtocol == 17)
    }

    @Test("ICMP has addresses and a protocol, no ports")
    func icmp() {
        let headers = read(F.echoRequest(from: F.web, to: F.db))
        #expect(headers.layer == .network && headers.ipProtocol == 1 && headers.sourcePort == 0)
        #expect(read(F.echoRequest(from: F.web6, to: F.db6)).ipProtocol == 58)
    }

    @Test("a later IPv4 fragment carries no ports")
    func laterFragment() {
        var frame = F.udp(from: F.web, 1, to: F.db, 2, payload: [1, 2, 3, 4])
        frame[14 + 6] = 0x00
        frame[14 + 7] = 0x10 // fragment offset 16 × 8 bytes
        let headers = read(frame)
        #expect(headers.layer == .network && headers.isLaterFragment && headers.sourcePort == 0)
    }

    @Test("a frame cut inside its TCP header is truncated; ARP is not IP")
    func truncatedAndNotIP() {
        let frame = F.tcp(from: F.web, 1, to: F.db, 2, flags: F.syn)
        #expect(read(Array(frame[..<(14 + 20 + 10)])).layer == .truncated)
        #expect(read(Array(frame[..<(14 + 12)])).layer == .truncated)
        var arp = frame
        arp[12] = 0x08
        arp[13] = 0x06
        #expect(read(arp).layer == .notIP)
        #expect(read([1, 2, 3]).layer == .notIP)
    }

    @Test("a bare IP packet (raw link) is read by its version")
    func rawIP() {
        let frame = F.udp(from: F.web6, 7, to: F.db6, 8)
        let headers = frame.withUnsafeBytes { PacketHeaders(ipPacket: UnsafeRawBufferPointer(rebasing: $0[14...])) }
        #expect(headers.layer == .transport && headers.destinationPort == 8)
    }

    @Test("IPv6 addresses print in RFC 5952 form", arguments: [
        (PacketAddress(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0001), "2001:db8::1"),
        (PacketAddress(high: 0x2001_0db8_0000_0001, low: 0x0000_0000_0000_0001), "2001:db8:0:1::1"),
        (PacketAddress(high: 0, low: 0), "::"),
        (PacketAddress(high: 0x2001_0db8_0001_0001, low: 0x0001_0001_0001_0001), "2001:db8:1:1:1:1:1:1"),
    ])
    func addressText(_ address: PacketAddress, _ text: String) {
        #expect(address.description == text)
    }
}
