/// What a flow summary needs from one captured frame — addresses, protocol, ports, TCP flags and sequence
/// numbers, where the transport payload is — read in place from the capture buffer, without allocating.
///
/// Reads Ethernet (with any number of 802.1Q / 802.1ad / QinQ tags, up to ``maximumVLANTags``), IPv4, and
/// IPv6 with its extension headers (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP,
/// shim6: up to ``maximumExtensionHeaders`` of them), then TCP or UDP. Other protocols (ICMP, ICMPv6, ESP,
/// GRE, …) and non-first IP fragments are read to the network layer: addresses and protocol, no ports.
///
/// ```swift
/// let headers = PacketHeaders(ethernetFrame: bytes)
/// guard headers.layer >= .network else { return }            // not IP, or cut short
/// let payload = headers.capturedPayload(in: bytes)           // TCP/UDP payload, as far as captured
/// ```
public struct PacketHeaders: Sendable {
    /// How far the frame could be read.
    public enum Layer: UInt8, Comparable, Sendable {
        /// Not an IP packet (ARP, LLDP, …).
        case notIP
        /// An IP packet cut short (by the snap length, or malformed lengths) before its addresses, its
        /// extension headers or its transport header ended.
        case truncated
        /// An IPv6 packet whose extension headers could not be followed (more than ``maximumExtensionHeaders``).
        case unsupported
        /// IP addresses and protocol; no ports (ICMP and others, a non-first fragment).
        case network
        /// TCP or UDP, ports (and for TCP flags and sequence numbers) read.
        case transport

        public static func < (lhs: Layer, rhs: Layer) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The most VLAN tags read in front of the EtherType.
    public static let maximumVLANTags = 4
    /// The most IPv6 extension headers followed before the packet counts as ``Layer/unsupported``.
    public static let maximumExtensionHeaders = 8

    /// How far the frame was read; the fields beyond it are zero.
    public var layer: Layer = .notIP
    /// VLAN tags in front of the IP header.
    public var vlanTags: UInt8 = 0
    /// 4 or 6; 0 when not IP.
    public var ipVersion: UInt8 = 0
    public var source: PacketAddress = .zero
    public var destination: PacketAddress = .zero
    /// The transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …) after IPv6 extension headers.
    public var ipProtocol: UInt8 = 0
    /// A non-first fragment: its transport header is in another packet.
    public var isLaterFragment = false
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// The TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, …).
    public var tcpFlags: UInt8 = 0
    public var sequenceNumber: UInt32 = 0
    public var acknowledgementNumber: UInt32 = 0
    /// Where the transport payload begins in the captured bytes (may be past their end when cut short).
    public var payloadOffset = 0
    /// The transport payload's length on the wire, from the IP and UDP lengths: what the sender sent,
    /// whether or not all of it was captured (Ethernet padding excluded).
    public var payloadLength = 0

    /// An empty reading (``Layer/notIP``).
    public init() {}

    /// Reads an Ethernet frame.
    public init(ethernetFrame frame: UnsafeRawBufferPointer) {
        guard frame.count >= 14 else { return }
        var offset = 12
        var etherType = frame.bigEndianUInt16(at: offset)
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            guard Int(vlanTags) < Self.maximumVLANTags, frame.count >= offset + 6 else { return }
            vlanTags += 1
            offset += 4
            etherType = frame.bigEndianUInt16(at: offset)
        }
        offset += 2
        switch etherType {
        case 0x0800: readIPv4(frame, at: offset)
        case 0x86DD: readIPv6(frame, at: offset)
        default: return
        }
    }

    /// Reads a bare IP packet (a raw-IP link such as a tun device): the version nibble says which.
    public init(ipPacket packet: UnsafeRawBufferPointer) {
        guard !packet.isEmpty else { return }
        switch packet[0] >> 4 {
        case 4: readIPv4(packet, at: 0)
        case 6: readIPv6(packet, at: 0)
        default: return
        }
    }

    /// The transport payload as far as it was captured (empty below ``Layer/transport``).
    public func capturedPayload(in frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard layer == .transport, payloadOffset < frame.count, payloadLength > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let end = min(frame.count, payloadOffset + payloadLength)
        return UnsafeRawBufferPointer(rebasing: frame[payloadOffset..<end])
    }

    private mutating func readIPv4(_ bytes: UnsafeRawBufferPointer, at start: Int) {
        ipVersion = 4
        layer = .truncated
        guard bytes.count >= start + 20, bytes[start] >> 4 == 4 else { return }
        let headerLength = Int(bytes[start] & 0x0F) * 4
        let totalLength = Int(bytes.bigEndianUInt16(at: start + 2))
        guard headerLength >= 20, totalLength >= headerLength else { return }
        ipProtocol = bytes[start + 9]
        source = PacketAddress(ipv4: bytes.bigEndianUInt32(at: start + 12))
        destination = PacketAddress(ipv4: bytes.bigEndianUInt32(at: start + 16))
        layer = .network
        let fragmentOffset = bytes.bigEndianUInt16(at: start + 6) & 0x1FFF
        guard fragmentOffset == 0 else {
            isLaterFragment = true
            return
        }
        readTransport(bytes, at: start + headerLength, length: totalLength - headerLength)
    }

    private mutating func readIPv6(_ bytes: UnsafeRawBufferPointer, at start: Int) {
        ipVersion = 6
        layer = .truncated
        guard bytes.count >= start + 40, bytes[start] >> 4 == 6 else { return }
        let payloadLength = Int(bytes.bigEndianUInt16(at: start + 4))
        source = PacketAddress(high: bytes.bigEndianUInt64(at: start + 8), low: bytes.bigEndianUInt64(at: start + 16))
        destination = PacketAddress(high: bytes.bigEndianUInt64(at: start + 24), low: bytes.bigEndianUInt64(at: start + 32))
        var next = bytes[start + 6]
        var offset = start + 40
        var left = payloadLength
        for _ in 0...Self.maximumExtensionHeaders {
            let length: Int
            switch next {
            case 0, 43, 60, 135, 139, 140:
                guard bytes.count >= offset + 2 else { return }
                length = (Int(bytes[offset + 1]) + 1) * 8
            case 51: // AH counts in 4-byte units, less 2.
                guard bytes.count >= offset + 2 else { return }
                length = (Int(bytes[offset + 1]) + 2) * 4
            case 44: // Fragment: a later fragment carries no transport header.
                guard bytes.count >= offset + 8 else { return }
                length = 8
                if bytes.bigEndianUInt16(at: offset + 2) & 0xFFF8 != 0 {
                    ipProtocol = bytes[offset]
                    isLaterFragment = true
                    layer = .network
                    return
                }
            default:
                ipProtocol = next
                layer = .network
                readTransport(bytes, at: offset, length: left)
                return
            }
            guard left >= length else { return }
            next = bytes[offset]
            offset += length
            left -= length
        }
        layer = .unsupported
    }

    /// Reads a TCP or UDP header of an IP payload of `length` bytes (on the wire) at `offset`.
    private mutating func readTransport(_ bytes: UnsafeRawBufferPointer, at offset: Int, length: Int) {
        switch ipProtocol {
        case 6:
            guard length >= 20, bytes.count >= offset + 20 else { return markTruncated() }
            let headerLength = Int(bytes[offset + 12] >> 4) * 4
            guard headerLength >= 20, length >= headerLength else { return markTruncated() }
            readPorts(bytes, at: offset)
            sequenceNumber = bytes.bigEndianUInt32(at: offset + 4)
            acknowledgementNumber = bytes.bigEndianUInt32(at: offset + 8)
            tcpFlags = bytes[offset + 13]
            payloadOffset = offset + headerLength
            payloadLength = length - headerLength
        case 17:
            guard length >= 8, bytes.count >= offset + 8 else { return markTruncated() }
            let datagramLength = Int(bytes.bigEndianUInt16(at: offset + 4))
            readPorts(bytes, at: offset)
            payloadOffset = offset + 8
            // A jumbogram's UDP length is 0; otherwise the smaller of the two lengths.
            payloadLength = (datagramLength >= 8 ? min(datagramLength, length) : length) - 8
        default:
            return
        }
        layer = .transport
    }

    private mutating func readPorts(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        sourcePort = bytes.bigEndianUInt16(at: offset)
        destinationPort = bytes.bigEndianUInt16(at: offset + 2)
    }

    private mutating func markTruncated() {
        layer = .truncated
    }
}

extension UnsafeRawBufferPointer {
    /// The big-endian integer at `offset` (the caller has checked the bounds).
    @inline(__always)
    func bigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndianUInt16(at: offset)) << 16 | UInt32(bigEndianUInt16(at: offset + 2))
    }

    @inline(__always)
    func bigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndianUInt32(at: offset)) << 32 | UInt64(bigEndianUInt32(at: offset + 4))
    }
}
