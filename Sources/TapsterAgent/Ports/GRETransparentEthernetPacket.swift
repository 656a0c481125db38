/// Reads an IPv4 packet as a raw IP socket receives it and finds the Ethernet frame inside, when the packet
/// is GRE transparent Ethernet bridging (protocol 0x6558) with a key: the reverse of what
/// `GRETransparentEthernetEncapsulator` (PacketKit) writes and Linux's `gretap` sends.
///
/// Checksummed (C) and sequenced (S) packets are accepted; GRE version 1 (PPTP), routing (R) and anything
/// that is not IPv4 carrying GRE are refused. Reads in place: nothing is copied or allocated.
struct GRETransparentEthernetPacket {
    /// The GRE key.
    let key: UInt32
    /// The outer IPv4 header's source address (``IPv4Address/rawValue`` form).
    let source: UInt32
    /// Where the inner Ethernet frame starts in the packet, and its length.
    let frameOffset: Int
    let frameLength: Int

    /// The shortest Ethernet frame worth injecting: a header.
    static let minimumFrameLength = 14

    /// Parses `packet` (an IPv4 header, then GRE); nil when it is not keyed GRE-TEB.
    init?(_ packet: UnsafeRawBufferPointer) {
        guard packet.count >= 20, packet[0] >> 4 == 4, packet[9] == 47 else { return nil }
        let ipHeaderLength = Int(packet[0] & 0x0f) * 4
        // The IPv4 total length bounds the packet (anything after it is padding).
        let totalLength = min(packet.count, Int(packet[2]) << 8 | Int(packet[3]))
        guard ipHeaderLength >= 20, totalLength >= ipHeaderLength + 4 else { return nil }
        let flags = UInt16(packet[ipHeaderLength]) << 8 | UInt16(packet[ipHeaderLength + 1])
        let protocolType = UInt16(packet[ipHeaderLength + 2]) << 8 | UInt16(packet[ipHeaderLength + 3])
        let checksumPresent = flags & 0x8000 != 0
        let routingPresent = flags & 0x4000 != 0
        let keyPresent = flags & 0x2000 != 0
        let sequencePresent = flags & 0x1000 != 0
        guard flags & 0x0007 == 0, !routingPresent, keyPresent, protocolType == 0x6558 else { return nil }
        var offset = ipHeaderLength + 4 + (checksumPresent ? 4 : 0)
        guard totalLength >= offset + 4 else { return nil }
        source = UInt32(packet[12]) << 24 | UInt32(packet[13]) << 16 | UInt32(packet[14]) << 8 | UInt32(packet[15])
        key = UInt32(packet[offset]) << 24 | UInt32(packet[offset + 1]) << 16 | UInt32(packet[offset + 2]) << 8 | UInt32(packet[offset + 3])
        offset += 4 + (sequencePresent ? 4 : 0)
        guard totalLength >= offset + Self.minimumFrameLength else { return nil }
        frameOffset = offset
        frameLength = totalLength - offset
    }
}
