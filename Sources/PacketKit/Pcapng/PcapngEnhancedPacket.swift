/// An Enhanced Packet Block (EPB, type 6): one captured packet of an interface.
///
/// ``data`` is an `ArraySlice` of the reader's buffer: reading a packet shares the bytes rather than
/// copying them (no allocation per packet).
public struct PcapngEnhancedPacket: Hashable, Sendable {
    /// The interface (its index among the section's IDBs).
    public var interfaceID: UInt32
    /// When the packet was captured, in nanoseconds since the Unix epoch.
    public var timestamp: UInt64
    /// The packet's length on the wire; at least `data.count`.
    public var originalLength: UInt32
    /// The captured bytes (the captured length is `data.count`).
    public var data: ArraySlice<UInt8>
    /// `epb_flags`, when present.
    public var flags: PcapngPacketFlags?
    /// `epb_dropcount`: packets lost between this one and the previous, when present.
    public var dropCount: UInt64?
    /// `opt_comment` values.
    public var comments: [String]

    /// Describes a packet.
    public init(interfaceID: UInt32, timestamp: UInt64, originalLength: UInt32? = nil, data: ArraySlice<UInt8>,
                flags: PcapngPacketFlags? = nil, dropCount: UInt64? = nil, comments: [String] = []) {
        self.interfaceID = interfaceID
        self.timestamp = timestamp
        self.originalLength = originalLength ?? UInt32(data.count)
        self.data = data
        self.flags = flags
        self.dropCount = dropCount
        self.comments = comments
    }

    /// EPB option codes.
    public enum OptionCode {
        /// `epb_flags`.
        public static let flags: UInt16 = 2
        /// `epb_dropcount`.
        public static let dropCount: UInt16 = 4
    }
}

/// The `epb_flags` word: direction, reception type, FCS length and link-layer errors.
public struct PcapngPacketFlags: Hashable, Sendable {
    /// The raw 32-bit word.
    public var rawValue: UInt32

    /// Wraps a raw word.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Flags with only the direction bits set.
    public init(direction: PacketDirection) {
        self.rawValue = direction == .ingress ? 1 : 2
    }

    /// The direction bits (0b01 inbound, 0b10 outbound), or nil when not recorded.
    public var direction: PacketDirection? {
        switch rawValue & 0b11 {
        case 1: .ingress
        case 2: .egress
        default: nil
        }
    }
}
