/// A GRE header (RFC 2784, with the key and sequence number extensions of RFC 2890 / RFC 1701).
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |C| |K|S| Reserved0       | Ver |         Protocol Type         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Key (optional)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Sequence Number (optional)                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The checksum (C) is never used: mirroring tunnels rely on the frame's own FCS-less integrity.
public struct GREHeader: Hashable, Sendable {
    /// The EtherType of the payload.
    public var protocolType: UInt16
    /// The key (K bit), when present.
    public var key: UInt32?
    /// The sequence number (S bit), when present.
    public var sequenceNumber: UInt32?

    /// GRE protocol types used for mirroring.
    public enum ProtocolType {
        /// ERSPAN types I and II.
        public static let erspanTypeII: UInt16 = 0x88BE
        /// ERSPAN type III.
        public static let erspanTypeIII: UInt16 = 0x22EB
        /// Transparent Ethernet Bridging: the payload is a whole Ethernet frame.
        public static let transparentEthernetBridging: UInt16 = 0x6558
    }

    /// The IP protocol number of GRE.
    public static let ipProtocolNumber: UInt8 = 47

    /// Describes a header.
    public init(protocolType: UInt16, key: UInt32? = nil, sequenceNumber: UInt32? = nil) {
        self.protocolType = protocolType
        self.key = key
        self.sequenceNumber = sequenceNumber
    }

    /// The flags-and-version word: K = 0x2000, S = 0x1000, version 0.
    public var flags: UInt16 {
        (key == nil ? 0 : 0x2000) | (sequenceNumber == nil ? 0 : 0x1000)
    }

    /// 4 bytes, plus 4 for a key and 4 for a sequence number.
    public var length: Int { 4 + (key == nil ? 0 : 4) + (sequenceNumber == nil ? 0 : 4) }

    /// Writes the header in network byte order at the start of `output` (at least ``length`` bytes).
    @inline(__always)
    public func write(into output: UnsafeMutableRawBufferPointer) {
        output.storeBytes(of: (UInt32(flags) << 16 | UInt32(protocolType)).bigEndian, toByteOffset: 0, as: UInt32.self)
        var offset = 4
        if let key {
            output.storeBytes(of: key.bigEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }
        if let sequenceNumber { output.storeBytes(of: sequenceNumber.bigEndian, toByteOffset: offset, as: UInt32.self) }
    }

    /// Appends the header in network byte order; allocation-free within the buffer's capacity.
    @inline(__always)
    public func append(to buffer: inout [UInt8]) {
        buffer.appendBigEndian(UInt32(flags) << 16 | UInt32(protocolType))
        if let key { buffer.appendBigEndian(key) }
        if let sequenceNumber { buffer.appendBigEndian(sequenceNumber) }
    }
}
