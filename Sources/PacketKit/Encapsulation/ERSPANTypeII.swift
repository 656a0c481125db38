/// ERSPAN type II (draft-foschiano-erspan-03 §4.2): GRE with the S bit and a per-session sequence number,
/// protocol 0x88BE, then an 8-byte ERSPAN header (version 1) and the mirrored Ethernet frame.
///
/// ```
/// GRE:     |0|0|0|1|0|00000|000000000|00000|         0x88BE                |
///          |             Sequence Number (per packet, per session)         |
/// ERSPAN:  |  Ver  |          VLAN         | COS | En|T|    Session ID     |
///          |      Reserved         |                  Index                |
/// ```
///
/// Wireshark decodes 0x88BE with the S bit set as type II without settings (without the S bit it would
/// take the payload for type I, which has no ERSPAN header).
///
/// When the mirrored frame carries an 802.1Q tag, En is set to 3 ("VLAN tag preserved in frame") and
/// VLAN to the tag's VLAN id, as Linux's `erspan` device does; otherwise ``vlan`` and ``encapsulation`` are used.
///
/// Per packet: 16 header bytes written with two stores, no allocation (see ``PacketEncapsulator``).
public struct ERSPANTypeIIEncapsulator: PacketEncapsulator, Hashable {
    /// The En field: how the original frame was VLAN-encapsulated.
    public enum FrameEncapsulation: UInt8, Hashable, Sendable {
        /// Originally without a VLAN tag.
        case untagged = 0
        /// Originally ISL encapsulated.
        case isl = 1
        /// Originally 802.1Q encapsulated (the tag was removed; VLAN carries its id).
        case dot1Q = 2
        /// The VLAN tag is preserved in the mirrored frame.
        case tagPreserved = 3
    }

    /// The ERSPAN session id (10 bits): which session the tool sees the frames under.
    public let sessionID: UInt16
    /// The VLAN field (12 bits) for untagged frames.
    public let vlan: UInt16
    /// The class of service (3 bits).
    public let classOfService: UInt8
    /// The En field for untagged frames.
    public let encapsulation: FrameEncapsulation
    /// The index (20 bits): the port or module the frame was mirrored from.
    public let index: UInt32
    /// The GRE sequence number the next packet gets; it wraps after 2³²−1.
    public private(set) var sequenceNumber: UInt32

    /// GRE (8) + ERSPAN II (8).
    public static let headerLength = 16

    /// Configures a session.
    /// - Throws: ``EncapsulationError`` when a value does not fit its field.
    public init(sessionID: UInt16, vlan: UInt16 = 0, classOfService: UInt8 = 0, encapsulation: FrameEncapsulation = .untagged,
                index: UInt32 = 0, firstSequenceNumber: UInt32 = 0) throws(EncapsulationError) {
        try EncapsulationError.check("ERSPAN session id", sessionID, max: 0x3ff)
        try EncapsulationError.check("ERSPAN VLAN", vlan, max: 0xfff)
        try EncapsulationError.check("ERSPAN class of service", classOfService, max: 7)
        try EncapsulationError.check("ERSPAN index", index, max: 0xfffff)
        self.sessionID = sessionID
        self.vlan = vlan
        self.classOfService = classOfService
        self.encapsulation = encapsulation
        self.index = index
        self.sequenceNumber = firstSequenceNumber
    }

    /// GRE over IP (protocol 47).
    public var transport: EncapsulationTransport { .ip(protocolNumber: GREHeader.ipProtocolNumber) }
    /// 16 bytes.
    public var headerLength: Int { Self.headerLength }

    /// Writes GRE + ERSPAN II headers; sets T when `info.originalLength` exceeds the frame.
    public mutating func writeHeader(for frame: UnsafeRawBufferPointer, info: MirroredFrameInfo, into header: UnsafeMutableRawBufferPointer) {
        var vlan = self.vlan
        var encapsulation = self.encapsulation
        if let tci = dot1QTagControl(frame) {
            vlan = tci & 0xfff
            encapsulation = .tagPreserved
        }
        let truncated: UInt32 = info.isTruncated(capturedLength: frame.count) ? 1 : 0
        let first = 1 << 28 | UInt32(vlan) << 16 | UInt32(classOfService) << 13 | UInt32(encapsulation.rawValue) << 11
            | truncated << 10 | UInt32(sessionID)
        header.storeBytes(of: (UInt64(0x1000_88BE) << 32 | UInt64(sequenceNumber)).bigEndian, toByteOffset: 0, as: UInt64.self)
        header.storeBytes(of: (UInt64(first) << 32 | UInt64(index)).bigEndian, toByteOffset: 8, as: UInt64.self)
        sequenceNumber &+= 1
    }
}

/// The tag control information of an 802.1Q-tagged Ethernet frame, or nil when untagged.
@inline(__always)
func dot1QTagControl(_ frame: UnsafeRawBufferPointer) -> UInt16? {
    guard frame.count >= 16, frame.loadBigEndian(at: 12, as: UInt16.self) == 0x8100 else { return nil }
    return frame.loadBigEndian(at: 14, as: UInt16.self)
}
