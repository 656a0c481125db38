/// One pcapng option kept as raw bytes: an option PacketKit has no field for (e.g. `if_MACaddr`,
/// a custom option), carried through reading and writing unchanged.
public struct PcapngOption: Hashable, Sendable {
    /// The option code.
    public var code: UInt16
    /// The value, unpadded, in the byte order of the section it came from.
    public var value: [UInt8]

    /// Wraps a code and its value.
    public init(code: UInt16, value: [UInt8]) {
        self.code = code
        self.value = value
    }

    /// Option codes shared by every block.
    public enum Code {
        /// `opt_endofopt`: ends the option list.
        public static let endOfOptions: UInt16 = 0
        /// `opt_comment`: UTF-8 text.
        public static let comment: UInt16 = 1
    }
}

/// Whether a pcapng section's numbers are little- or big-endian (the writer of a file chose).
public enum PcapngByteOrder: Hashable, Sendable {
    /// Least significant byte first: byte-order magic `4D 3C 2B 1A`.
    case littleEndian
    /// Most significant byte first: byte-order magic `1A 2B 3C 4D`.
    case bigEndian
}
