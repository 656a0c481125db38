/// Where to cut a run of pcapng blocks into `PacketBatch`es: at block boundaries, each piece at most
/// ``maximumBytes`` (or one block, when a block alone is larger) — the server takes no gRPC message above
/// 4 MiB, and an uploader's take may hold up to the queue's 8 MiB.
///
/// A cursor rather than a list of ranges, so that cutting allocates nothing:
/// `var pieces = PacketBatchPieces(); while let piece = pieces.next(in: blocks) { … }`.
package struct PacketBatchPieces {
    /// The most bytes of blocks in one batch: well below the server's message limit.
    package static let maximumBytes = 1 << 20

    private var start = 0

    /// Cuts from the first byte.
    package init() {}

    /// The next piece of `blocks` (the same blocks on every call), nil once all of it has been handed out. A
    /// block whose length field is damaged (the agent's own writer never writes one) ends the cutting: the
    /// rest goes in one piece.
    package mutating func next(in blocks: [UInt8], maximumBytes: Int = maximumBytes) -> Range<Int>? {
        guard start < blocks.count else { return nil }
        var end = start
        blocks.withUnsafeBytes { bytes in
            while end + 12 <= bytes.count {
                let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: end + 4, as: UInt32.self)))
                guard length >= 12, length % 4 == 0, end + length <= bytes.count else { break }
                if end > start, end + length - start > maximumBytes { return }
                end += length
            }
            end = bytes.count
        }
        defer { start = end }
        return start..<end
    }
}
