/// GRE transparent Ethernet bridging (GRE-TEB): a GRE header (RFC 2784) with protocol 0x6558 and an
/// optional key (RFC 2890), followed by the mirrored Ethernet frame — what Linux's `gretap` sends.
///
/// Optionally numbers packets with the GRE sequence number (S bit, RFC 2890), so a tool can count losses.
///
/// Per packet: 4–12 header bytes written with plain stores, no allocation (see ``PacketEncapsulator``).
public struct GRETransparentEthernetEncapsulator: PacketEncapsulator, Hashable {
    /// The GRE key (K bit) identifying the session, or nil for none.
    public let key: UInt32?
    /// Whether packets carry a sequence number (S bit).
    public let sequenced: Bool
    /// The sequence number the next packet gets, when ``sequenced``.
    public private(set) var sequenceNumber: UInt32

    /// Configures a GRE-TEB session.
    public init(key: UInt32? = nil, sequenced: Bool = false, firstSequenceNumber: UInt32 = 0) {
        self.key = key
        self.sequenced = sequenced
        self.sequenceNumber = firstSequenceNumber
    }

    /// GRE over IP (protocol 47).
    public var transport: EncapsulationTransport { .ip(protocolNumber: GREHeader.ipProtocolNumber) }
    /// 4 bytes, plus 4 with a key and 4 when sequenced.
    public var headerLength: Int { 4 + (key == nil ? 0 : 4) + (sequenced ? 4 : 0) }

    /// Writes the GRE header.
    public mutating func writeHeader(for frame: UnsafeRawBufferPointer, info: MirroredFrameInfo, into header: UnsafeMutableRawBufferPointer) {
        GREHeader(protocolType: GREHeader.ProtocolType.transparentEthernetBridging, key: key,
                  sequenceNumber: sequenced ? sequenceNumber : nil).write(into: header)
        if sequenced { sequenceNumber &+= 1 }
    }
}
