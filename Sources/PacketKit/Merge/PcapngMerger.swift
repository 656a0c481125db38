/// Merges N complete pcapng streams into one, ordering packets by timestamp as `mergecap` does: a k-way
/// merge over a heap of each input's next packet (ties go to the earlier input), so the output is
/// non-decreasing whenever each input is.
///
/// - Every input interface becomes its own output interface (ids remapped in order of appearance, as
///   `mergecap -I none`); its IDB is written before its first packet, with all its options.
/// - ISBs are carried, with remapped interface ids, right after the packet that preceded them in their
///   input; other blocks of little-endian sections (name resolution, decryption secrets) are carried too.
/// - The output is one little-endian section.
///
/// ```swift
/// var merger = PcapngMerger(inputs: [fileA, fileB])
/// var writer = PcapngWriter()
/// while try merger.merge(into: &writer, untilBufferHolds: 1 << 20) {
///     try writer.drain { try output.write($0) }
/// }
/// try writer.drain { try output.write($0) }
/// ```
///
/// ## No allocation per packet
/// Packets of little-endian sections whose interfaces are copied unchanged are copied block-for-block into
/// the writer's reused buffer with only the interface id rewritten: per packet one heap sift, one memcpy,
/// one 4-byte store. Big-endian sections are decoded and re-encoded (packet bytes still shared, not copied).
public struct PcapngMerger: Sendable {
    private var inputs: [Input]
    private var heap: MinHeap<Head>
    private let sectionHeader: PcapngSectionHeader
    private var started = false
    /// How many packets have been written.
    public private(set) var packetsWritten = 0

    private struct Input: Sendable {
        var reader: PcapngReader
        var interfaceMap: [UInt32] = []
        var pending: PcapngReader.RawBlock?
        var pendingInterfaceID: UInt32 = 0
    }

    private struct Head: Comparable, Sendable {
        var timestamp: UInt64
        var input: Int
        static func < (a: Head, b: Head) -> Bool {
            a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.input < b.input
        }
    }

    /// Prepares a merge of complete streams (e.g. files' contents); the arrays are shared, not copied.
    public init(inputs: [[UInt8]], sectionHeader: PcapngSectionHeader = PcapngSectionHeader(userApplication: "Tapster merge")) {
        self.inputs = inputs.map { Input(reader: PcapngReader(bytes: $0)) }
        self.heap = MinHeap(reservingCapacity: inputs.count)
        self.sectionHeader = sectionHeader
    }

    /// Merges everything into one new stream.
    public static func merge(_ inputs: [[UInt8]]) throws(PcapngMergeError) -> [UInt8] {
        var merger = PcapngMerger(inputs: inputs)
        var writer = PcapngWriter(reservingCapacity: inputs.reduce(0) { $0 + $1.count } + 4096)
        while try merger.merge(into: &writer, untilBufferHolds: .max) {}
        return writer.bytes
    }

    /// Writes merged blocks into `writer` (starting its section on the first call) until its buffer holds
    /// at least `limit` bytes or the inputs are exhausted.
    /// - Returns: whether anything remains to merge.
    public mutating func merge(into writer: inout PcapngWriter, untilBufferHolds limit: Int = 1 << 20) throws(PcapngMergeError) -> Bool {
        if !started {
            started = true
            writer.writeSectionHeader(sectionHeader)
            for index in inputs.indices {
                try advance(index, writer: &writer)
            }
        }
        while writer.bytes.count < limit, let head = heap.minimum {
            try emitPending(head.input, writer: &writer)
            packetsWritten += 1
            if let next = try advance(input: head.input, writer: &writer) {
                _ = heap.replaceMinimum(with: Head(timestamp: next, input: head.input))
            } else {
                _ = heap.pop()
            }
        }
        return !heap.isEmpty
    }

    /// Reads input `index` up to its next packet, writing the IDBs, ISBs and other blocks on the way,
    /// and pushes that packet on the heap.
    private mutating func advance(_ index: Int, writer: inout PcapngWriter) throws(PcapngMergeError) {
        if let timestamp = try advance(input: index, writer: &writer) {
            heap.push(Head(timestamp: timestamp, input: index))
        }
    }

    /// Reads input `index` up to its next packet; returns the packet's timestamp, or nil at the end.
    private mutating func advance(input index: Int, writer: inout PcapngWriter) throws(PcapngMergeError) -> UInt64? {
        while let raw = try Self.reading(index, { () throws(PcapngError) in try inputs[index].reader.nextRaw() }) {
            let bigEndian = inputs[index].reader.sectionIsBigEndian
            switch raw.type {
            case PcapngBlock.BlockType.enhancedPacket:
                let header = try Self.reading(index, { () throws(PcapngError) in try inputs[index].reader.packetHeader(raw) })
                inputs[index].pending = raw
                inputs[index].pendingInterfaceID = header.interfaceID
                return header.timestamp
            case PcapngBlock.BlockType.sectionHeader:
                _ = try Self.reading(index, { () throws(PcapngError) in try inputs[index].reader.decode(raw) })
                inputs[index].interfaceMap.removeAll()
            case PcapngBlock.BlockType.interfaceDescription:
                let block = try Self.reading(index, { () throws(PcapngError) in try inputs[index].reader.decode(raw) })
                guard case .interfaceDescription(let interface) = block else { continue }
                let outputID: UInt32
                if bigEndian {
                    outputID = try Self.writing { () throws(PcapngWriteError) in try writer.writeInterfaceDescription(interface) }
                } else {
                    inputs[index].reader.copyRaw(raw, into: &writer, interfaceIDAt: nil, as: 0)
                    outputID = writer.registerCopiedInterface(interface)
                }
                inputs[index].interfaceMap.append(outputID)
            case PcapngBlock.BlockType.interfaceStatistics:
                let block = try Self.reading(index, { () throws(PcapngError) in try inputs[index].reader.decode(raw) })
                guard case .interfaceStatistics(var statistics) = block else { continue }
                let outputID = inputs[index].interfaceMap[Int(statistics.interfaceID)]
                if bigEndian {
                    statistics.interfaceID = outputID
                    try Self.writing { () throws(PcapngWriteError) in try writer.writeInterfaceStatistics(statistics) }
                } else {
                    inputs[index].reader.copyRaw(raw, into: &writer, interfaceIDAt: 8, as: outputID)
                }
            default:
                if !bigEndian { inputs[index].reader.copyRaw(raw, into: &writer, interfaceIDAt: nil, as: 0) }
            }
        }
        return nil
    }

    /// Writes input `index`'s pending packet with its interface id remapped.
    private mutating func emitPending(_ index: Int, writer: inout PcapngWriter) throws(PcapngMergeError) {
        guard let raw = inputs[index].pending else { return }
        inputs[index].pending = nil
        let outputID = inputs[index].interfaceMap[Int(inputs[index].pendingInterfaceID)]
        if inputs[index].reader.sectionIsBigEndian {
            let block = try Self.reading(index, { () throws(PcapngError) in try inputs[index].reader.decode(raw) })
            guard case .enhancedPacket(var packet) = block else { return }
            packet.interfaceID = outputID
            try Self.writing { () throws(PcapngWriteError) in try writer.writeEnhancedPacket(packet) }
        } else {
            inputs[index].reader.copyRaw(raw, into: &writer, interfaceIDAt: 8, as: outputID)
        }
    }

    @inline(__always)
    private static func reading<T>(_ index: Int, _ body: () throws(PcapngError) -> T) throws(PcapngMergeError) -> T {
        do throws(PcapngError) { return try body() } catch { throw PcapngMergeError(.input(index: index, error)) }
    }

    @inline(__always)
    private static func writing<T>(_ body: () throws(PcapngWriteError) -> T) throws(PcapngMergeError) -> T {
        do throws(PcapngWriteError) { return try body() } catch { throw PcapngMergeError(.output(error)) }
    }
}

extension PcapngReader {
    /// The fixed fields of a framed EPB (validated: the interface exists, the data fits).
    @inline(__always)
    func packetHeader(_ raw: RawBlock) throws(PcapngError) -> PacketHeader {
        let formats = self.formatsForMerge
        return try withBlock(raw) { view throws(PcapngError) in try Self.decodePacketHeader(view, raw, formats: formats).0 }
    }

    /// Copies a framed little-endian block into `writer`, rewriting the interface id at `offset` if given.
    @inline(__always)
    func copyRaw(_ raw: RawBlock, into writer: inout PcapngWriter, interfaceIDAt offset: Int?, as interfaceID: UInt32) {
        storageBytes { all in
            writer.appendRawBlock(UnsafeRawBufferPointer(rebasing: all[raw.start..<raw.start + raw.length]),
                                  replacingInterfaceIDAt: offset, with: interfaceID)
        }
    }
}
