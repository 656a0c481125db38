/// Writes the classic libpcap file format (not pcapng) with nanosecond timestamps (magic 0xA1B23C4D),
/// little-endian, into a reusable in-memory buffer; the caller writes ``bytes`` to a file or socket.
///
/// Used where one link type and no metadata suffice, e.g. writing encapsulated outer frames for
/// Wireshark. Appending a record allocates nothing once ``bytes`` has the capacity.
public struct ClassicPcapWriter: Sendable {
    /// The file so far: the 24-byte header, then 16-byte record headers each followed by packet bytes.
    public private(set) var bytes: [UInt8]
    /// The snapshot length in the header; longer packets are cut to it (their original length is kept).
    public let snapLength: UInt32

    /// Starts a file with the global header.
    public init(linkType: LinkType = .ethernet, snapLength: UInt32 = 262_144, reservingCapacity: Int = 1 << 16) {
        self.snapLength = snapLength
        bytes = []
        bytes.reserveCapacity(max(reservingCapacity, 24))
        bytes.appendLittleEndian(UInt32(0xA1B2_3C4D))
        bytes.appendLittleEndian(UInt16(2))
        bytes.appendLittleEndian(UInt16(4))
        bytes.appendLittleEndian(UInt64(0))  // thiszone, sigfigs
        bytes.appendLittleEndian(snapLength)
        bytes.appendLittleEndian(UInt32(bitPattern: linkType.rawValue))
    }

    /// Appends one packet captured at `timestamp` (nanoseconds since the epoch).
    public mutating func append(_ packet: UnsafeRawBufferPointer, timestamp: UInt64, originalLength: Int? = nil) {
        let captured = min(packet.count, Int(snapLength))
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: timestamp / 1_000_000_000))
        bytes.appendLittleEndian(UInt32(timestamp % 1_000_000_000))
        bytes.appendLittleEndian(UInt32(captured))
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: originalLength ?? packet.count))
        bytes.appendBytes(UnsafeRawBufferPointer(rebasing: packet[0..<captured]))
    }

    /// Appends one packet held in an array.
    public mutating func append(_ packet: [UInt8], timestamp: UInt64, originalLength: Int? = nil) {
        packet.withUnsafeBytes { append($0, timestamp: timestamp, originalLength: originalLength) }
    }
}
