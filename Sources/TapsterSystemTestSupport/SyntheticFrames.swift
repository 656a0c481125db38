/// Ethernet frames built byte by byte for parser and flow tests: IPv4 or IPv6 (by the addresses' length),
/// optional VLAN tags and IPv6 extension headers, then TCP, UDP or ICMP. Checksums are left zero: the
/// readers under test do not check them.
public enum SyntheticFrames {
    /// IPv4 `10.0.0.2` and `10.0.0.3`, and IPv6 `fd00::2` and `fd00::3`.
    public static let web: [UInt8] = [10, 0, 0, 2], db: [UInt8] = [10, 0, 0, 3]
    public static let web6: [UInt8] = [0xfd] + [UInt8](repeating: 0, count: 14) + [2]
    public static let db6: [UInt8] = [0xfd] + [UInt8](repeating: 0, count: 14) + [3]

    /// TCP flag bytes.
    public static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ack: UInt8 = 0x10

    /// A TCP segment from `source`:`sourcePort` to `destination`:`destinationPort`.
    public static func tcp(from source: [UInt8], _ sourcePort: UInt16, to destination: [UInt8], _ destinationPort: UInt16,
                           flags: UInt8, sequence: UInt32 = 0, acknowledgement: UInt32 = 0, payload: [UInt8] = [],
                           vlans: [UInt16] = [], extensionHeaders: [UInt8] = []) -> [UInt8] {
        var tcp = bigEndian(sourcePort) + bigEndian(destinationPort) + bigEndian(sequence) + bigEndian(acknowledgement)
        tcp += [0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]
        return frame(source: source, destination: destination, protocolNumber: 6, transport: tcp + payload, vlans: vlans,
                     extensionHeaders: extensionHeaders)
    }

    /// A UDP datagram.
    public static func udp(from source: [UInt8], _ sourcePort: UInt16, to destination: [UInt8], _ destinationPort: UInt16,
                           payload: [UInt8] = [], vlans: [UInt16] = [], extensionHeaders: [UInt8] = []) -> [UInt8] {
        let udp = bigEndian(sourcePort) + bigEndian(destinationPort) + bigEndian(UInt16(8 + payload.count)) + [0, 0]
        return frame(source: source, destination: destination, protocolNumber: 17, transport: udp + payload, vlans: vlans,
                     extensionHeaders: extensionHeaders)
    }

    /// An ICMP (IPv4) or ICMPv6 echo request.
    public static func echoRequest(from source: [UInt8], to destination: [UInt8]) -> [UInt8] {
        let isIPv6 = source.count == 16
        return frame(source: source, destination: destination, protocolNumber: isIPv6 ? 58 : 1,
                     transport: [isIPv6 ? 128 : 8, 0, 0, 0, 0, 1, 0, 1])
    }

    /// Ethernet, VLAN tags, IP and `transport`. For IPv6, `extensionHeaders` lists extension headers by
    /// number (hop-by-hop 0, routing 43, destination options 60), in order, each 8 bytes long.
    public static func frame(source: [UInt8], destination: [UInt8], protocolNumber: UInt8, transport: [UInt8], vlans: [UInt16] = [],
                             extensionHeaders: [UInt8] = []) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 3, 0x02, 0, 0, 0, 0, 2]
        for (position, vlan) in vlans.enumerated() {
            // The outer tag of a stack is 802.1ad (QinQ), the others 802.1Q.
            frame += (position == 0 && vlans.count > 1 ? [0x88, 0xa8] : [0x81, 0x00]) + bigEndian(vlan)
        }
        if source.count == 16 {
            var chain: [UInt8] = []
            let numbers = extensionHeaders + [protocolNumber]
            for (position, _) in extensionHeaders.enumerated() {
                chain += [numbers[position + 1], 0, 1, 4, 0, 0, 0, 0] // next header, 8 bytes, a PadN option
            }
            frame += [0x86, 0xdd, 0x60, 0, 0, 0] + bigEndian(UInt16(chain.count + transport.count))
            frame += [numbers[0], 64] + source + destination + chain + transport
        } else {
            frame += [0x08, 0x00, 0x45, 0] + bigEndian(UInt16(20 + transport.count)) + [0x12, 0x34, 0x40, 0, 64, protocolNumber, 0, 0]
            frame += source + destination + transport
        }
        // Ethernet's minimum: shorter frames are padded, as a NIC pads them.
        if frame.count < 60 { frame += [UInt8](repeating: 0, count: 60 - frame.count) }
        return frame
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    private static func bigEndian(_ value: UInt32) -> [UInt8] { bigEndian(UInt16(value >> 16)) + bigEndian(UInt16(value & 0xffff)) }
}
