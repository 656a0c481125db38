/// Why the pcapng reader rejected its input: what was wrong, where (the byte offset of the block in
/// the stream), and in which kind of block.
public struct PcapngError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Hashable, Sendable {
        /// The input ended inside a block: the block needs `needed` bytes, `available` remain.
        case truncated(needed: Int, available: Int)
        /// The stream does not start with a Section Header Block; found this block type instead.
        case missingSectionHeader(foundBlockType: UInt32)
        /// A Section Header Block whose byte-order magic is neither 0x1A2B3C4D nor its byte swap.
        case badByteOrderMagic(UInt32)
        /// A section version other than 1.x.
        case unsupportedVersion(major: UInt16, minor: UInt16)
        /// A block length that is too small, not a multiple of 4, or beyond ``PcapngReader/maximumBlockLength``.
        case invalidBlockLength(UInt32)
        /// The length repeated at the end of a block differs from the one at its start.
        case mismatchedTrailingLength(leading: UInt32, trailing: UInt32)
        /// A block whose fixed fields or captured bytes do not fit its length.
        case malformedBlock(reason: String)
        /// An option whose length runs past the end of its block.
        case malformedOption(code: UInt16, length: Int)
        /// A packet or statistics block naming an interface the section has not described.
        case unknownInterface(id: UInt32, known: Int)
    }

    /// What was wrong.
    public let kind: Kind
    /// The offset of the offending block from the start of the stream.
    public let offset: Int
    /// The type of the offending block, when known.
    public let blockType: UInt32?

    /// Describes a problem at `offset`.
    public init(_ kind: Kind, offset: Int, blockType: UInt32? = nil) {
        self.kind = kind
        self.offset = offset
        self.blockType = blockType
    }

    /// `pcapng: truncated block at offset 1234 (type 0x6): needs 96 bytes, 40 available`.
    public var description: String {
        let block = blockType.map { " (type 0x\(String($0, radix: 16)))" } ?? ""
        let what: String
        switch kind {
        case .truncated(let needed, let available):
            what = "truncated block: needs \(needed) bytes, \(available) available"
        case .missingSectionHeader(let found):
            what = "expected a Section Header Block, found block type 0x\(String(found, radix: 16))"
        case .badByteOrderMagic(let magic):
            what = "bad byte-order magic 0x\(String(magic, radix: 16))"
        case .unsupportedVersion(let major, let minor):
            what = "unsupported version \(major).\(minor)"
        case .invalidBlockLength(let length):
            what = "invalid block length \(length)"
        case .mismatchedTrailingLength(let leading, let trailing):
            what = "block length \(leading) does not match trailing length \(trailing)"
        case .malformedBlock(let reason):
            what = "malformed block: \(reason)"
        case .malformedOption(let code, let length):
            what = "option \(code) of length \(length) runs past the end of its block"
        case .unknownInterface(let id, let known):
            what = "interface id \(id) is not described (the section has \(known))"
        }
        return "pcapng: \(what) at offset \(offset)\(block)"
    }
}

/// Why the pcapng writer refused a block.
public struct PcapngWriteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Hashable, Sendable {
        /// A block was written before any Section Header Block.
        case noSection
        /// A packet or statistics block for an interface id the section has not described.
        case unknownInterface(id: UInt32, known: Int)
        /// An option value longer than 65 535 bytes.
        case optionTooLong(code: UInt16, length: Int)
        /// A packet longer than a block can hold.
        case packetTooLong(length: Int)
    }

    /// What was wrong.
    public let kind: Kind

    /// Wraps `kind`.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// A sentence naming the problem.
    public var description: String {
        switch kind {
        case .noSection: "pcapng writer: write a Section Header Block first"
        case .unknownInterface(let id, let known): "pcapng writer: interface id \(id) is not described (the section has \(known))"
        case .optionTooLong(let code, let length): "pcapng writer: option \(code) is \(length) bytes, more than 65535"
        case .packetTooLong(let length): "pcapng writer: packet of \(length) bytes does not fit a block"
        }
    }
}
