/// Merges N complete pcapng streams into one, ordering packets by timestamp as `mergecap` does: a k-way
/// merge over a heap of each input's next packet, so the output is non-decreasing whenever each input is.
/// Equal timestamps go to the later input first, as with mergecap (its `is_earlier` test is `≤`), so the
/// packet order is exactly mergecap's.
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
/// Each call borrows the inputs' bytes once; per packet the merger frames the next block in place (every
/// length checked, as the reader does), sifts a heap of N small entries, and copies the block into the
/// writer's reused buffer with one memcpy, rewriting only the interface id. Big-endian sections are decoded
/// and re-encoded little-endian instead (their packet bytes still shared, not copied).
public struct PcapngMerger: Sendable {
    private let inputs: [[UInt8]]
    private var cursors: [Cursor]
    private var heap: MinHeap<Head>
    private let sectionHeader: PcapngSectionHeader
    private var started = false
    /// How many packets have been written.
    public private(set) var packetsWritten = 0

    private struct Cursor: Sendable {
        var position = 0
        var bigEndian = false
        var inSection = false
        var formats: [PcapngReader.TimeFormat] = []
        var interfaceMap: [UInt32] = []
        var pending = PcapngRawBlock(type: 0, start: 0, length: 0, streamOffset: 0)
        var pendingInterface: UInt32 = 0
    }

    private struct Head: Comparable, Sendable {
        var timestamp: UInt64
        var input: Int
        static func < (a: Head, b: Head) -> Bool {
            a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.input > b.input
        }
    }

    /// Prepares a merge of complete streams (e.g. files' contents); the arrays are shared, not copied.
    public init(inputs: [[UInt8]], sectionHeader: PcapngSectionHeader = PcapngSectionHeader(userApplication: "Tapster merge")) {
        self.inputs = inputs
        self.cursors = Array(repeating: Cursor(), count: inputs.count)
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
        var pointers: [UnsafeRawBufferPointer] = []
        pointers.reserveCapacity(inputs.count)
        let outcome: Result<Bool, PcapngMergeError> = Self.withBorrowedBytes(inputs, &pointers) { pointers in
            do throws(PcapngMergeError) {
                return .success(try mergeBorrowed(pointers, into: &writer, limit: limit))
            } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    private mutating func mergeBorrowed(_ pointers: [UnsafeRawBufferPointer], into writer: inout PcapngWriter, limit: Int) throws(PcapngMergeError) -> Bool {
        if !started {
            started = true
            writer.writeSectionHeader(sectionHeader)
            for index in inputs.indices {
                if let timestamp = try advance(index, pointers[index], writer: &writer) {
                    heap.push(Head(timestamp: timestamp, input: index))
                }
            }
        }
        while writer.byteCount < limit, let head = heap.minimum {
            let index = head.input
            try emitPending(index, pointers[index], writer: &writer)
            packetsWritten += 1
            if let next = try advance(index, pointers[index], writer: &writer) {
                _ = heap.replaceMinimum(with: Head(timestamp: next, input: index))
            } else {
                _ = heap.pop()
            }
        }
        return !heap.isEmpty
    }

    /// Reads input `index` up to its next packet, writing the IDBs, ISBs and other blocks on the way;
    /// returns the packet's timestamp, or nil at the end of the input.
    private mutating func advance(_ index: Int, _ bytes: UnsafeRawBufferPointer, writer: inout PcapngWriter) throws(PcapngMergeError) -> UInt64? {
        while true {
            let cursor = cursors[index]
            let framed: PcapngRawBlock?
            do throws(PcapngError) {
                framed = try PcapngFraming.frame(bytes, at: cursor.position, bigEndian: cursor.bigEndian, inSection: cursor.inSection,
                                                 complete: true, maximumBlockLength: PcapngReader.defaultMaximumBlockLength,
                                                 streamOffset: cursor.position)
            } catch { throw PcapngMergeError(.input(index: index, error)) }
            guard let raw = framed else { return nil }
            cursors[index].position = raw.start + raw.length
            let block = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.start + raw.length])
            let view = PcapngByteView(bytes: block, bigEndian: raw.sectionBigEndian ?? cursor.bigEndian)
            switch raw.type {
            case PcapngBlock.BlockType.enhancedPacket:
                let header = try Self.reading(index) { () throws(PcapngError) in
                    try PcapngReader.decodePacketHeader(view, raw, formats: cursor.formats).0
                }
                cursors[index].pending = raw
                cursors[index].pendingInterface = header.interfaceID
                return header.timestamp
            case PcapngBlock.BlockType.sectionHeader:
                _ = try Self.reading(index) { () throws(PcapngError) in try PcapngReader.decodeSectionHeader(view, raw) }
                cursors[index].bigEndian = view.bigEndian
                cursors[index].inSection = true
                cursors[index].formats.removeAll()
                cursors[index].interfaceMap.removeAll()
            case PcapngBlock.BlockType.interfaceDescription:
                let interface = try Self.reading(index) { () throws(PcapngError) in try PcapngReader.decodeInterface(view, raw) }
                let outputID: UInt32
                if view.bigEndian {
                    outputID = try Self.writing { () throws(PcapngWriteError) in try writer.writeInterfaceDescription(interface) }
                } else {
                    writer.appendRawBlock(block, replacingInterfaceIDAt: nil, with: 0)
                    outputID = writer.registerCopiedInterface(interface)
                }
                cursors[index].formats.append(PcapngReader.TimeFormat(interface))
                cursors[index].interfaceMap.append(outputID)
            case PcapngBlock.BlockType.interfaceStatistics:
                var statistics = try Self.reading(index) { () throws(PcapngError) in
                    try PcapngReader.decodeStatistics(view, raw, formats: cursor.formats)
                }
                let outputID = cursor.interfaceMap[Int(statistics.interfaceID)]
                if view.bigEndian {
                    statistics.interfaceID = outputID
                    try Self.writing { () throws(PcapngWriteError) in try writer.writeInterfaceStatistics(statistics) }
                } else {
                    writer.appendRawBlock(block, replacingInterfaceIDAt: 8, with: outputID)
                }
            default:
                if !view.bigEndian { writer.appendRawBlock(block, replacingInterfaceIDAt: nil, with: 0) }
            }
        }
    }

    /// Writes input `index`'s pending packet with its interface id remapped.
    @inline(__always)
    private mutating func emitPending(_ index: Int, _ bytes: UnsafeRawBufferPointer, writer: inout PcapngWriter) throws(PcapngMergeError) {
        let raw = cursors[index].pending
        let outputID = cursors[index].interfaceMap[Int(cursors[index].pendingInterface)]
        if !cursors[index].bigEndian {
            writer.appendRawBlock(UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.start + raw.length]),
                                  replacingInterfaceIDAt: 8, with: outputID)
            return
        }
        let view = PcapngByteView(bytes: UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.start + raw.length]), bigEndian: true)
        let formats = cursors[index].formats, storage = inputs[index]
        var packet = try Self.reading(index) { () throws(PcapngError) in
            try PcapngReader.decodeEnhancedPacket(view, raw, formats: formats, storage: storage)
        }
        packet.interfaceID = outputID
        try Self.writing { () throws(PcapngWriteError) in try writer.writeEnhancedPacket(packet) }
    }

    @inline(__always)
    private static func reading<T>(_ index: Int, _ body: () throws(PcapngError) -> T) throws(PcapngMergeError) -> T {
        do throws(PcapngError) { return try body() } catch { throw PcapngMergeError(.input(index: index, error)) }
    }

    @inline(__always)
    private static func writing<T>(_ body: () throws(PcapngWriteError) -> T) throws(PcapngMergeError) -> T {
        do throws(PcapngWriteError) { return try body() } catch { throw PcapngMergeError(.output(error)) }
    }

    /// Calls `body` with every input's bytes borrowed at once (nested `withUnsafeBytes`).
    private static func withBorrowedBytes<R>(_ arrays: [[UInt8]], _ pointers: inout [UnsafeRawBufferPointer],
                                             _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        if pointers.count == arrays.count { return body(pointers) }
        return arrays[pointers.count].withUnsafeBytes { bytes in
            pointers.append(bytes)
            return withBorrowedBytes(arrays, &pointers, body)
        }
    }
}
