// Internal: finding the next block in a pcapng byte stream, on borrowed bytes, with every length checked.
// Shared by the reader and the merger's fast path; allocation-free.

/// A framed block: its type and where it lies in the stream's buffer.
struct PcapngRawBlock: Sendable {
    var type: UInt32
    var start: Int
    var length: Int
    var streamOffset: Int
    /// For a Section Header Block: whether the new section is big-endian.
    var sectionBigEndian: Bool?
}

enum PcapngFraming {
    /// Frames the block at `start` of `bytes`. Returns nil when the bytes end before the block does and
    /// more input may come (`complete` false); throws when the block is malformed or cut short for good.
    @inline(__always)
    static func frame(_ bytes: UnsafeRawBufferPointer, at start: Int, bigEndian: Bool, inSection: Bool, complete: Bool,
                      maximumBlockLength: Int, streamOffset: Int) throws(PcapngError) -> PcapngRawBlock? {
        let available = bytes.count - start
        guard available > 0 else { return nil }
        @inline(__always) func needMore(_ needed: Int, _ type: UInt32?) throws(PcapngError) -> PcapngRawBlock? {
            if complete { throw PcapngError(.truncated(needed: needed, available: available), offset: streamOffset, blockType: type) }
            return nil
        }
        guard available >= 4 else { return try needMore(12, nil) }
        let isSectionHeader = bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self) == PcapngBlock.BlockType.sectionHeader
        var blockBigEndian = bigEndian
        if isSectionHeader {
            guard available >= 12 else { return try needMore(12, PcapngBlock.BlockType.sectionHeader) }
            switch bytes.loadLittleEndian(at: start + 8, as: UInt32.self) {
            case PcapngBlock.byteOrderMagic: blockBigEndian = false
            case PcapngBlock.byteOrderMagic.byteSwapped: blockBigEndian = true
            case let magic: throw PcapngError(.badByteOrderMagic(magic), offset: streamOffset, blockType: PcapngBlock.BlockType.sectionHeader)
            }
        } else if !inSection {
            let type = bytes.loadLittleEndian(at: start, as: UInt32.self)
            throw PcapngError(.missingSectionHeader(foundBlockType: type), offset: streamOffset, blockType: type)
        }
        let raw = bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self)
        let type = blockBigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
        guard available >= 8 else { return try needMore(12, type) }
        let rawLength = bytes.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self)
        let length = blockBigEndian ? UInt32(bigEndian: rawLength) : UInt32(littleEndian: rawLength)
        guard length >= (isSectionHeader ? 28 : 12), length % 4 == 0, Int(length) <= maximumBlockLength else {
            throw PcapngError(.invalidBlockLength(length), offset: streamOffset, blockType: type)
        }
        guard available >= Int(length) else { return try needMore(Int(length), type) }
        let rawTrailing = bytes.loadUnaligned(fromByteOffset: start + Int(length) - 4, as: UInt32.self)
        let trailing = blockBigEndian ? UInt32(bigEndian: rawTrailing) : UInt32(littleEndian: rawTrailing)
        guard trailing == length else {
            throw PcapngError(.mismatchedTrailingLength(leading: length, trailing: trailing), offset: streamOffset, blockType: type)
        }
        return PcapngRawBlock(type: type, start: start, length: Int(length), streamOffset: streamOffset,
                              sectionBigEndian: isSectionHeader ? blockBigEndian : nil)
    }
}
