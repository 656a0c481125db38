/// ERSPAN type III (draft-foschiano-erspan-03 §4.3): GRE with the S bit and a sequence number,
/// protocol 0x22EB, then a 12-byte ERSPAN header (version 2) carrying a timestamp, and the frame.
///
/// ```
/// GRE:     |0|0|0|1|0|00000|000000000|00000|         0x22EB                |
///          |             Sequence Number (per packet, per session)         |
/// ERSPAN:  |  Ver  |          VLAN         | COS |BSO|T|     Session ID    |
///          |                          Timestamp                            |
///          |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
/// [only with O = 1, for IEEE 1588 timestamps: platform sub-header, Platf ID 3]
///          |Platf ID=3 |        Reserved           |      Port ID/Index    |
///          |                 Upper 32-bit timestamp (seconds)              |
/// ```
///
/// Defaults follow Linux's `erspan` device (`erspan_ver 2`), which Wireshark decodes without settings:
/// granularity 100 µs (Gra = 0, the timestamp word is the capture time in units of 100 µs, modulo 2³²),
/// P = 1 and FT = 0 (an Ethernet frame), BSO from the frame's length (short < 60, oversized > 1514 bytes).
/// The timestamp comes from ``MirroredFrameInfo/timestamp`` — the capture time, never a clock read here.
///
/// Per packet: 20 (or 28) header bytes written with plain stores, no allocation (see ``PacketEncapsulator``).
public struct ERSPANTypeIIIEncapsulator: PacketEncapsulator, Hashable {
    /// The Gra field: the unit of the timestamp word.
    public enum TimestampGranularity: UInt8, Hashable, Sendable {
        /// Units of 100 µs since the epoch, modulo 2³² (wraps every ~5 days); what Linux sends.
        case hundredMicroseconds = 0
        /// Units of 100 ns since the epoch, modulo 2³² (wraps every ~7 minutes).
        case hundredNanoseconds = 1
        /// IEEE 1588 (PTP) time: the word holds the nanoseconds within the second, and a platform
        /// sub-header (Platf ID 3) the seconds since the epoch (O = 1, 8 more bytes).
        case ieee1588 = 2
    }

    /// The ERSPAN session id (10 bits).
    public let sessionID: UInt16
    /// The VLAN field (12 bits) for untagged frames; a tagged frame's own VLAN id is used otherwise.
    public let vlan: UInt16
    /// The class of service (3 bits).
    public let classOfService: UInt8
    /// The security group tag (16 bits).
    public let securityGroupTag: UInt16
    /// The hardware id (6 bits): which engine of the sender produced the frame.
    public let hardwareID: UInt8
    /// The timestamp granularity.
    public let granularity: TimestampGranularity
    /// The port id/index (14 bits) of the IEEE 1588 platform sub-header; unused otherwise.
    public let portIndex: UInt16
    /// The GRE sequence number the next packet gets; it wraps after 2³²−1.
    public private(set) var sequenceNumber: UInt32

    /// Configures a session.
    /// - Throws: ``EncapsulationError`` when a value does not fit its field.
    public init(sessionID: UInt16, vlan: UInt16 = 0, classOfService: UInt8 = 0, securityGroupTag: UInt16 = 0,
                hardwareID: UInt8 = 0, granularity: TimestampGranularity = .hundredMicroseconds, portIndex: UInt16 = 0,
                firstSequenceNumber: UInt32 = 0) throws(EncapsulationError) {
        try EncapsulationError.check("ERSPAN session id", sessionID, max: 0x3ff)
        try EncapsulationError.check("ERSPAN VLAN", vlan, max: 0xfff)
        try EncapsulationError.check("ERSPAN class of service", classOfService, max: 7)
        try EncapsulationError.check("ERSPAN hardware id", hardwareID, max: 0x3f)
        try EncapsulationError.check("ERSPAN port index", portIndex, max: 0x3fff)
        self.sessionID = sessionID
        self.vlan = vlan
        self.classOfService = classOfService
        self.securityGroupTag = securityGroupTag
        self.hardwareID = hardwareID
        self.granularity = granularity
        self.portIndex = portIndex
        self.sequenceNumber = firstSequenceNumber
    }

    /// GRE over IP (protocol 47).
    public var transport: EncapsulationTransport { .ip(protocolNumber: GREHeader.ipProtocolNumber) }
    /// 20 bytes, or 28 with the IEEE 1588 sub-header.
    public var headerLength: Int { granularity == .ieee1588 ? 28 : 20 }

    /// The timestamp word for a capture time in nanoseconds since the epoch.
    public func timestampWord(for nanoseconds: UInt64) -> UInt32 {
        switch granularity {
        case .hundredMicroseconds: UInt32(truncatingIfNeeded: nanoseconds / 100_000)
        case .hundredNanoseconds: UInt32(truncatingIfNeeded: nanoseconds / 100)
        case .ieee1588: UInt32(truncatingIfNeeded: nanoseconds % 1_000_000_000)
        }
    }

    /// Writes GRE + ERSPAN III headers (and the IEEE 1588 sub-header).
    public mutating func writeHeader(for frame: UnsafeRawBufferPointer, info: MirroredFrameInfo, into header: UnsafeMutableRawBufferPointer) {
        let vlan = dot1QTagControl(frame).map { $0 & 0xfff } ?? self.vlan
        let wireLength = info.originalLength ?? frame.count
        let bso: UInt32 = wireLength < 60 ? 1 : (wireLength > 1514 ? 2 : 0)
        let truncated: UInt32 = info.isTruncated(capturedLength: frame.count) ? 1 : 0
        let first = 2 << 28 | UInt32(vlan) << 16 | UInt32(classOfService) << 13 | bso << 11 | truncated << 10 | UInt32(sessionID)
        let subheader: UInt32 = granularity == .ieee1588 ? 1 : 0
        let third = UInt32(securityGroupTag) << 16 | 1 << 15 /* P */ | 0 << 10 /* FT Ethernet */
            | UInt32(hardwareID) << 4 | UInt32(info.direction.rawValue) << 3 | UInt32(granularity.rawValue) << 1 | subheader
        header.storeBytes(of: (UInt64(0x1000_22EB) << 32 | UInt64(sequenceNumber)).bigEndian, toByteOffset: 0, as: UInt64.self)
        header.storeBytes(of: (UInt64(first) << 32 | UInt64(timestampWord(for: info.timestamp))).bigEndian, toByteOffset: 8, as: UInt64.self)
        header.storeBytes(of: third.bigEndian, toByteOffset: 16, as: UInt32.self)
        if granularity == .ieee1588 {
            let seconds = UInt32(truncatingIfNeeded: info.timestamp / 1_000_000_000)
            header.storeBytes(of: (UInt64(3 << 26 | UInt32(portIndex)) << 32 | UInt64(seconds)).bigEndian, toByteOffset: 20, as: UInt64.self)
        }
        sequenceNumber &+= 1
    }
}
