/// VXLAN (RFC 7348 §5): an 8-byte header — flags with the I bit (0x08), 24 reserved bits, the 24-bit
/// VXLAN Network Identifier, 8 reserved bits — followed by the mirrored Ethernet frame.
///
/// ```
/// |R|R|R|R|I|R|R|R|            Reserved                           |
/// |                VXLAN Network Identifier (VNI) |   Reserved    |
/// ```
///
/// The result is the payload of a UDP datagram to port 4789 (IANA's, which Wireshark decodes as VXLAN
/// without settings); the agent sends it through a UDP socket, so the kernel adds UDP and IPv4.
/// ``OuterFrameBuilder`` builds the whole Ethernet + IPv4 + UDP frame for tests and raw sending.
///
/// Per packet: 8 header bytes written with one store, no allocation (see ``PacketEncapsulator``).
public struct VXLANEncapsulator: PacketEncapsulator, Hashable {
    /// The VXLAN Network Identifier (24 bits).
    public let vni: UInt32
    /// The UDP destination port: 4789 unless a tool listens elsewhere.
    public let destinationPort: UInt16

    /// IANA's VXLAN port.
    public static let defaultPort: UInt16 = 4789
    /// 8 bytes.
    public static let headerLength = 8

    /// Configures a VXLAN segment.
    /// - Throws: ``EncapsulationError`` when `vni` exceeds 24 bits.
    public init(vni: UInt32, destinationPort: UInt16 = VXLANEncapsulator.defaultPort) throws(EncapsulationError) {
        try EncapsulationError.check("VXLAN VNI", vni, max: 0xff_ffff)
        self.vni = vni
        self.destinationPort = destinationPort
    }

    /// UDP to ``destinationPort``.
    public var transport: EncapsulationTransport { .udp(destinationPort: destinationPort) }
    /// 8 bytes.
    public var headerLength: Int { Self.headerLength }

    /// Writes the VXLAN header.
    public mutating func writeHeader(for frame: UnsafeRawBufferPointer, info: MirroredFrameInfo, into header: UnsafeMutableRawBufferPointer) {
        header.storeBytes(of: (UInt64(0x0800_0000) << 32 | UInt64(vni) << 8).bigEndian, toByteOffset: 0, as: UInt64.self)
    }
}
