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
/// lent for the duration of the call.
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
        var flags: PcapngPacketFlags?
        try view.forEachOption(in: min(28 + paddedTo32Bits(captured), end)..<end, blockOffset: raw.streamOffset,
                               blockType: raw.type) { code, value throws(PcapngError) in
            if code == PcapngEnhancedPacket.OptionCode.flags, value.count == 4 { flags = PcapngPacketFlags(rawValue: view.u32(value.lowerBound)) }
        }
        return Packet(interfaceID: view.u32(8), timestamp: view.timestamp(12), originalLength: max(view.u32(24), UInt32(captured)),
                      flags: flags, data: UnsafeRawBufferPointer(rebasing: block[28..<28 + captured]))
    }
}

/// Why ``PcapngPacketRun/forEachPacket(in:_:)`` stopped early.
public enum PcapngPacketRunError<Failure: Error>: Error {
    /// The run is not valid pcapng at some block.
    case damaged(PcapngError)
    /// The callback threw.
    case stopped(Failure)
}
