/// A run of little-endian Enhanced Packet Blocks without a section around them — how an agent ships the
/// packets of a capture to the server (`PacketBatch.blocks`): its interface ids are numbered by the
/// sender, its timestamps are in nanoseconds.
///
/// ```swift
/// try PcapngPacketRun.forEachPacket(in: batchBytes) { packet in
///     try merger.pushPacket(source: agent, interfaceID: packet.interfaceID, timestamp: packet.timestamp,
///                           originalLength: Int(packet.originalLength), flags: packet.flags, data: packet.data)
/// }
/// ```
///
/// Every length is checked before use (a damaged run is a ``PcapngError`` naming the offset, never a
/// trap); blocks of other types are skipped; nothing is copied or allocated — each packet's bytes are
/// lent for the duration of the call, and so is its whole block.
public enum PcapngPacketRun {
    /// One packet of the run, its bytes borrowed from the run.
    public struct Packet {
        /// The interface id the sender gave it.
        public var interfaceID: UInt32
        /// The timestamp as written: nanoseconds since the epoch for a Tapster agent.
        public var timestamp: UInt64
        /// The length on the wire (at least `data.count`).
        public var originalLength: UInt32
        /// `epb_flags`, when present.
        public var flags: PcapngPacketFlags?
        /// The captured bytes; valid only inside the callback.
        public var data: UnsafeRawBufferPointer
        /// The whole Enhanced Packet Block, header to trailer; valid only inside the callback.
        public var block: UnsafeRawBufferPointer
        /// Whether ``block`` says exactly what the fields above say, in the bytes ``PcapngWriter`` would write
        /// for them at nanosecond resolution: no option but a 4-byte `epb_flags` followed by `opt_endofopt`
        /// (no comment, drop count or other option to carry or to drop), zero padding, an original length
        /// not below the captured one. Only such a block can be copied into a file as it is (see
        /// ``PcapngLiveMerger/pushRawBlock(_:source:interfaceID:)``) and still read as if it were re-encoded.
        public var blockIsPlain: Bool
    }

    /// Calls `body` with every Enhanced Packet Block of `bytes`, in order.
    ///
    /// - Throws: ``PcapngError`` when a block is cut short or malformed (the packets before it have
    ///   been delivered), or whatever `body` throws.
    public static func forEachPacket<Failure: Error>(
        in bytes: UnsafeRawBufferPointer, _ body: (Packet) throws(Failure) -> Void
    ) throws(PcapngPacketRunError<Failure>) {
        var position = 0
        while position < bytes.count {
            let framed: PcapngRawBlock?
            do throws(PcapngError) {
                framed = try PcapngFraming.frame(bytes, at: position, bigEndian: false, inSection: true, complete: true,
                                                 maximumBlockLength: PcapngReader.defaultMaximumBlockLength, streamOffset: position)
            } catch { throw .damaged(error) }
            guard let raw = framed else { return }
            position = raw.start + raw.length
            guard raw.type == PcapngBlock.BlockType.enhancedPacket else { continue }
            let packet: Packet
            do throws(PcapngError) { packet = try decode(bytes, raw) } catch { throw .damaged(error) }
            do throws(Failure) { try body(packet) } catch { throw .stopped(error) }
        }
    }

    @inline(__always)
    private static func decode(_ bytes: UnsafeRawBufferPointer, _ raw: PcapngRawBlock) throws(PcapngError) -> Packet {
        let block = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.start + raw.length])
        let view = PcapngByteView(bytes: block, bigEndian: false)
        let end = raw.length - 4
        guard end >= 28 else {
            throw PcapngError(.malformedBlock(reason: "an Enhanced Packet Block needs 32 bytes, has \(raw.length)"),
                              offset: raw.streamOffset, blockType: raw.type)
        }
        let captured = Int(view.u32(20))
        guard captured <= end - 28 else {
            throw PcapngError(.malformedBlock(reason: "captured length \(captured) exceeds the block's \(end - 28) data bytes"),
                              offset: raw.streamOffset, blockType: raw.type)
        }
        let optionsStart = 28 + paddedTo32Bits(captured)
        var flags: PcapngPacketFlags?
        try view.forEachOption(in: min(optionsStart, end)..<end, blockOffset: raw.streamOffset,
                               blockType: raw.type) { code, value throws(PcapngError) in
            if code == PcapngEnhancedPacket.OptionCode.flags, value.count == 4 { flags = PcapngPacketFlags(rawValue: view.u32(value.lowerBound)) }
        }
        let originalLength = view.u32(24)
        return Packet(interfaceID: view.u32(8), timestamp: view.timestamp(12), originalLength: max(originalLength, UInt32(captured)),
                      flags: flags, data: UnsafeRawBufferPointer(rebasing: block[28..<28 + captured]), block: block,
                      blockIsPlain: originalLength >= UInt32(captured) && isPlain(view, captured: captured, optionsStart: optionsStart, end: end))
    }

    /// Whether the bytes after the packet's are what ``PcapngWriter/writeEnhancedPacket(interfaceID:timestamp:originalLength:flags:dropCount:data:)``
    /// writes there: zero padding, then nothing or exactly `epb_flags` (4 bytes) and `opt_endofopt`.
    @inline(__always)
    private static func isPlain(_ view: PcapngByteView, captured: Int, optionsStart start: Int, end: Int) -> Bool {
        guard start <= end else { return false }  // padding cut short: a reader copes, the writer never does it
        for index in 28 + captured..<start where view.bytes[index] != 0 { return false }
        switch end - start {
        case 0: return true
        case 12:
            return view.u16(start) == PcapngEnhancedPacket.OptionCode.flags && view.u16(start + 2) == 4 && view.u32(start + 8) == 0
        default: return false
        }
    }
}

/// Why ``PcapngPacketRun/forEachPacket(in:_:)`` stopped early.
public enum PcapngPacketRunError<Failure: Error>: Error {
    /// The run is not valid pcapng at some block.
    case damaged(PcapngError)
    /// The callback threw.
    case stopped(Failure)
}
