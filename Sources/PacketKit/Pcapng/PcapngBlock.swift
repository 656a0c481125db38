/// One pcapng block, as the reader yields it and the writer accepts it.
public enum PcapngBlock: Hashable, Sendable {
    /// A Section Header Block.
    case sectionHeader(PcapngSectionHeader)
    /// An Interface Description Block.
    case interfaceDescription(PcapngInterfaceDescription)
    /// An Enhanced Packet Block.
    case enhancedPacket(PcapngEnhancedPacket)
    /// An Interface Statistics Block.
    case interfaceStatistics(PcapngInterfaceStatistics)
    /// Any other block (Simple Packet, Name Resolution, Decryption Secrets, custom…): its type and body
    /// (without the type, lengths and trailing length), in the section's byte order.
    case other(type: UInt32, body: ArraySlice<UInt8>)

    /// Block type numbers.
    public enum BlockType {
        /// Section Header Block.
        public static let sectionHeader: UInt32 = 0x0A0D_0D0A
        /// Interface Description Block.
        public static let interfaceDescription: UInt32 = 1
        /// Interface Statistics Block.
        public static let interfaceStatistics: UInt32 = 5
        /// Enhanced Packet Block.
        public static let enhancedPacket: UInt32 = 6
    }

    /// The byte-order magic of a Section Header Block, as a number.
    public static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
}

extension PcapngBlock {
    /// The Enhanced Packet Block this is, if it is one.
    public var packet: PcapngEnhancedPacket? {
        if case .enhancedPacket(let packet) = self { return packet }
        return nil
    }
}
