/// Merges live packet streams from N sources (agents' captures) into one timestamp-ordered pcapng
/// stream, with a bounded reorder window — the capture broker's merge.
///
/// A value-type state machine: push blocks or packets in as they arrive, pull ordered blocks out.
///
/// ```swift
/// var merger = PcapngLiveMerger(reorderWindow: 500_000_000)
/// let agent = merger.addSource()
/// let eth0 = try merger.addInterface(.init(name: "node-3/web-7f9c/eth0"), source: agent)   // local id 0
/// try merger.pushPacket(source: agent, interfaceID: 0, timestamp: ns, data: bytes)
/// try merger.pushRawBlock(packet, source: agent, interfaceID: 0)   // an agent's EPB, from a PcapngPacketRun
/// merger.advanceClock(to: nowNanoseconds)             // lets quiet periods flush
/// try merger.writeReady(into: &writer)                // or: while let block = merger.nextReady() { … }
/// merger.closeSource(agent)                           // or merger.finish() at the end
/// ```
///
/// ## When a packet is released
/// A buffered packet with timestamp *t* is released, in (timestamp, arrival) order, as soon as any holds:
/// - every open source has pushed something at or after *t*, or said by a watermark (``advance(_:to:)``) that
///   it is past *t* (each source's own packets are taken to be in order, so nothing earlier can still come:
///   exact order with minimal delay) — unless sources may
///   join late (``sourcesMayJoin``): then a source not added yet could still bring earlier packets;
/// - the newest timestamp seen, or the clock given to ``advanceClock(to:)``, is at least the reorder
///   window past *t* (a stalled or silent source holds the others back by at most the window);
/// - the source is closed or the merge finished.
///
/// A packet arriving older than one already released ("late", beyond the window) is released at once
/// — never dropped — and counted in ``latePackets``; only then can the output go backwards in time.
///
/// Interfaces get output ids in the order they are added; their IDBs are released ahead of everything
/// else. Statistics (ISBs) are ordered by their timestamp like packets.
///
/// ## No allocation per packet
/// Packet bytes are copied into a reused arena (``PacketArena``) and ordered by a binary heap of small
/// fixed-size entries over a reused array; ``writeReady(into:)`` copies them straight from the arena into
/// the writer's reused buffer. Once the arena and heap have grown to the window's working set, pushing
/// and writing a packet allocate nothing. An agent's block pushed with ``pushRawBlock(_:source:interfaceID:)``
/// is kept whole and written as it came, its interface id replaced: one `memcpy` and a 4-byte store, no
/// header to encode. (``nextReady()`` hands out packets as slices of the arena — no
/// copy — but then the arena is copied if a slice is still held when more is pushed.)
public struct PcapngLiveMerger: Sendable {
    /// A source of packets, e.g. one agent's capture stream.
    public struct SourceID: Hashable, Sendable {
        /// The source's number, from 0 in order of ``addSource()``.
        public let rawValue: Int
    }

    /// The largest reorder window: 500 ms.
    public static let maximumReorderWindow: UInt64 = 500_000_000

    /// How far behind the newest packet (in ns) a packet may arrive and still be put in order.
    public let reorderWindow: UInt64
    /// Whether sources may be added after packets were pushed (agents connecting at different moments):
    /// then packets are held for the whole window, so a source that joins within it is still merged in
    /// order; otherwise a packet goes as soon as every open source has passed it. Switch it off once the
    /// sources expected have joined (a source added later may then bring a few ``latePackets``).
    public var sourcesMayJoin: Bool {
        didSet { cachedBound = nil }
    }
    /// The section header ``writeReady(into:)`` starts a writer's section with.
    public let sectionHeader: PcapngSectionHeader
    /// Packets that arrived older than a packet already released, and so were released out of order.
    public private(set) var latePackets: UInt64 = 0
    /// Packets pushed with ``pushRawBlock(_:source:interfaceID:)`` whose block was kept whole, to be written as
    /// it came (the others of that call were re-encoded).
    public private(set) var rawBlocksKept: UInt64 = 0
    /// Packets and statistics held, waiting for their turn.
    public var bufferedCount: Int { heap.count }
    /// Packet bytes held (a block kept whole counts only its packet's bytes, as if it were re-encoded).
    public var bufferedBytes: Int { arena.liveBytes - rawFramingBytes }

    private struct Source: Sendable {
        var interfaceMap: [UInt32] = []
        var latest: UInt64?
        var open = true
    }

    private struct Entry: Comparable, Sendable {
        var timestamp: UInt64
        var sequence: UInt64
        var offset: Int
        var length: UInt32
        var originalLength: UInt32
        var interfaceID: UInt32
        var flags: UInt32
        var kind: Kind

        /// `annotated`: a packet with comments, its flags and comments in ``PcapngLiveMerger/annotations``
        /// at `flags` (rare: a merge notes e.g. a source's absence on the packet that follows it).
        /// `rawBlock`: a whole EPB at `offset` (`length` its block length), written as it is but for its
        /// interface id; `flags` holds its captured length (its flags are in the block).
        enum Kind: UInt8, Sendable { case packet, packetWithFlags, annotated, rawBlock, statistics }

        static func < (a: Entry, b: Entry) -> Bool {
            a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence
        }
    }

    private var sources: [Source] = []
    /// By output interface id: the longest packet whose block may be written as it came (the IDB's snaplen,
    /// which the writer would cut to), or -1 when the interface's timestamps are not the nanoseconds without
    /// offset that agents' blocks carry.
    private var passThroughLimits: [Int] = []
    /// The bytes of the held raw blocks that are not packet bytes (headers, padding, options, trailers).
    private var rawFramingBytes = 0
    private var heap = MinHeap<Entry>(reservingCapacity: 1024)
    private var arena = PacketArena()
    private var statistics: [PcapngInterfaceStatistics?] = []
    private var freeStatisticsSlots: [Int] = []
    private var annotations: [Annotation?] = []
    private var freeAnnotationSlots: [Int] = []

    /// What an annotated packet carries besides its bytes.
    private struct Annotation: Sendable {
        var flags: PcapngPacketFlags?
        var comments: [String]
    }
    private var pendingInterfaces: [PcapngInterfaceDescription] = []
    private var pendingInterfaceIndex = 0
    private var interfaceCount: UInt32 = 0
    private var sequence: UInt64 = 0
    private var newest: UInt64 = 0
    private var clock: UInt64 = 0
    private var lastReleased: UInt64 = 0
    private var finished = false
    private var cachedBound: UInt64?

    /// A merger with a reorder window in nanoseconds, at most ``maximumReorderWindow`` (larger values are
    /// clamped); see ``sourcesMayJoin``.
    public init(reorderWindow: UInt64 = PcapngLiveMerger.maximumReorderWindow,
                sectionHeader: PcapngSectionHeader = PcapngSectionHeader(userApplication: "Tapster"), sourcesMayJoin: Bool = false) {
        self.reorderWindow = min(reorderWindow, Self.maximumReorderWindow)
        self.sectionHeader = sectionHeader
        self.sourcesMayJoin = sourcesMayJoin
    }

    // MARK: Input

    /// Registers a new source.
    public mutating func addSource() -> SourceID {
        sources.append(Source())
        cachedBound = nil
        return SourceID(rawValue: sources.count - 1)
    }

    /// Describes the source's next interface (its local ids count from 0 per section, as in pcapng) and
    /// returns its output interface id.
    @discardableResult
    public mutating func addInterface(_ interface: PcapngInterfaceDescription, source: SourceID) throws(PcapngMergeError) -> UInt32 {
        try checkOpen(source)
        let id = interfaceCount
        interfaceCount += 1
        sources[source.rawValue].interfaceMap.append(id)
        pendingInterfaces.append(interface)
        let nanoseconds = interface.timestampResolution == .nanoseconds && (interface.timestampOffsetSeconds ?? 0) == 0
        passThroughLimits.append(!nanoseconds ? -1 : interface.snapLength == 0 ? .max : Int(interface.snapLength))
        return id
    }

    /// Buffers one packet of `source`'s interface `interfaceID` (local id), copying its bytes; `comments`
    /// become its `opt_comment`s (what Wireshark and `tshark -e frame.comment` show).
    public mutating func pushPacket(source: SourceID, interfaceID: UInt32, timestamp: UInt64, originalLength: Int? = nil,
                                    flags: PcapngPacketFlags? = nil, comments: [String] = [],
                                    data: UnsafeRawBufferPointer) throws(PcapngMergeError) {
        let outputID = try outputInterface(source, interfaceID)
        if arena.needsCompaction { compactIfNeeded() }
        let offset = arena.store(data)
        sequence &+= 1
        var kind: Entry.Kind = flags == nil ? .packet : .packetWithFlags
        var word = flags?.rawValue ?? 0
        if !comments.isEmpty {
            kind = .annotated
            word = UInt32(storeAnnotation(Annotation(flags: flags, comments: comments)))
        }
        heap.push(Entry(timestamp: timestamp, sequence: sequence, offset: offset, length: UInt32(data.count),
                        originalLength: UInt32(truncatingIfNeeded: max(originalLength ?? data.count, data.count)),
                        interfaceID: outputID, flags: word, kind: kind))
        noteArrival(source, timestamp)
    }

    /// Buffers an Enhanced Packet Block of a run (an agent's, see ``PcapngPacketRun``) for `source`'s interface
    /// `interfaceID` (local id), to be written as it came but for its interface id — no header re-encoded —
    /// where that writes the very bytes ``pushPacket(source:interfaceID:timestamp:originalLength:flags:comments:data:)``
    /// would with the packet's fields: the block is plain (``PcapngPacketRun/Packet/blockIsPlain``: no option
    /// but `epb_flags`), its packet within the interface's snaplen, the interface's timestamps in nanoseconds.
    /// Any other block is pushed as `pushPacket` with those fields, which re-encodes it and leaves its other
    /// options (an agent's `opt_comment`, a drop count) out. Either way the file is the same.
    public mutating func pushRawBlock(_ packet: PcapngPacketRun.Packet, source: SourceID, interfaceID: UInt32) throws(PcapngMergeError) {
        let outputID = try outputInterface(source, interfaceID)
        guard packet.blockIsPlain, packet.data.count <= passThroughLimits[Int(outputID)] else {
            return try pushPacket(source: source, interfaceID: interfaceID, timestamp: packet.timestamp,
                                  originalLength: Int(packet.originalLength), flags: packet.flags, data: packet.data)
        }
        if arena.needsCompaction { compactIfNeeded() }
        let offset = arena.store(packet.block)
        rawFramingBytes += packet.block.count - packet.data.count
        rawBlocksKept &+= 1
        sequence &+= 1
        heap.push(Entry(timestamp: packet.timestamp, sequence: sequence, offset: offset, length: UInt32(packet.block.count),
                        originalLength: packet.originalLength, interfaceID: outputID, flags: UInt32(packet.data.count), kind: .rawBlock))
        noteArrival(source, packet.timestamp)
    }

    /// Buffers a statistics block of `source` (its `interfaceID` is the source's local id).
    public mutating func pushStatistics(_ block: PcapngInterfaceStatistics, source: SourceID) throws(PcapngMergeError) {
        var block = block
        block.interfaceID = try outputInterface(source, block.interfaceID)
        let slot: Int
        if let free = freeStatisticsSlots.popLast() {
            slot = free
            statistics[slot] = block
        } else {
            slot = statistics.count
            statistics.append(block)
        }
        sequence &+= 1
        heap.push(Entry(timestamp: block.timestamp, sequence: sequence, offset: slot, length: 0, originalLength: 0,
                        interfaceID: block.interfaceID, flags: 0, kind: .statistics))
        noteArrival(source, block.timestamp)
    }

    /// Feeds a block read from `source`'s pcapng stream: a new section resets its interface ids, IDBs add
    /// interfaces, EPBs and ISBs are buffered, other blocks are ignored.
    public mutating func push(_ block: PcapngBlock, source: SourceID) throws(PcapngMergeError) {
        switch block {
        case .sectionHeader:
            try checkOpen(source)
            sources[source.rawValue].interfaceMap.removeAll()
        case .interfaceDescription(let interface):
            try addInterface(interface, source: source)
        case .enhancedPacket(let packet):
            let outcome: Result<Void, PcapngMergeError> = packet.data.withUnsafeBytes { data in
                do throws(PcapngMergeError) {
                    try pushPacket(source: source, interfaceID: packet.interfaceID, timestamp: packet.timestamp,
                                   originalLength: Int(packet.originalLength), flags: packet.flags, comments: packet.comments, data: data)
                    return .success(())
                } catch { return .failure(error) }
            }
            try outcome.get()
        case .interfaceStatistics(let block):
            try pushStatistics(block, source: source)
        case .other:
            break
        }
    }

    /// Declares that `source` will push nothing older than `watermark` (an idle agent's "nothing before T from
    /// me"): packets up to it are released without waiting for the reorder window, as if the source had pushed
    /// a packet there. A watermark older than what the source already passed changes nothing.
    public mutating func advance(_ source: SourceID, to watermark: UInt64) {
        guard sources.indices.contains(source.rawValue), sources[source.rawValue].open, watermark > 0 else { return }
        let passed = watermark - 1
        if sources[source.rawValue].latest.map({ passed > $0 }) ?? true {
            sources[source.rawValue].latest = passed
            cachedBound = nil
        }
    }

    /// Declares that `source` will push nothing more: it no longer holds the others back.
    public mutating func closeSource(_ source: SourceID) {
        guard sources.indices.contains(source.rawValue) else { return }
        sources[source.rawValue].open = false
        cachedBound = nil
    }

    /// Tells the merger the current time (ns since the epoch): packets at or before `now − window` are
    /// released even if a source is silent.
    public mutating func advanceClock(to now: UInt64) {
        if now > clock {
            clock = now
            cachedBound = nil
        }
    }

    /// Ends the merge: every source is closed and everything buffered becomes ready.
    public mutating func finish() {
        for index in sources.indices { sources[index].open = false }
        finished = true
        cachedBound = nil
    }

    // MARK: Output

    /// The next ready block: pending interface descriptions first, then packets and statistics in order;
    /// nil when nothing is ready yet.
    public mutating func nextReady() -> PcapngBlock? {
        if pendingInterfaceIndex < pendingInterfaces.count {
            return .interfaceDescription(takePendingInterface())
        }
        guard let entry = popReady() else { return nil }
        switch entry.kind {
        case .statistics:
            return .interfaceStatistics(takeStatistics(entry.offset))
        case .packet, .packetWithFlags, .annotated:
            let data = arena.bytes[entry.offset..<entry.offset + Int(entry.length)]
            arena.release(Int(entry.length))
            return .enhancedPacket(packet(entry, data: data))
        case .rawBlock:
            let packet = rawPacket(entry)
            releaseRawBlock(entry)
            return .enhancedPacket(packet)
        }
    }

    /// Writes every ready block into `writer` (starting its section with ``sectionHeader`` if it has none)
    /// and returns how many blocks were written. The merger numbers the section's interfaces: give the
    /// writer no IDBs of your own.
    @discardableResult
    public mutating func writeReady(into writer: inout PcapngWriter) throws(PcapngWriteError) -> Int {
        if !writer.hasSection { writer.writeSectionHeader(sectionHeader) }
        var written = 0
        while pendingInterfaceIndex < pendingInterfaces.count {
            try writer.writeInterfaceDescription(takePendingInterface())
            written += 1
        }
        while let entry = popReady() {
            switch entry.kind {
            case .statistics:
                try writer.writeInterfaceStatistics(takeStatistics(entry.offset))
            case .annotated:
                let data = arena.bytes[entry.offset..<entry.offset + Int(entry.length)]
                try writer.writeEnhancedPacket(packet(entry, data: data))
                arena.release(Int(entry.length))
            case .packet, .packetWithFlags:
                try arena.withBytes(at: entry.offset, length: Int(entry.length)) { data throws(PcapngWriteError) in
                    try writer.writeEnhancedPacket(interfaceID: entry.interfaceID, timestamp: entry.timestamp,
                                                   originalLength: Int(entry.originalLength),
                                                   flags: entry.kind == .packetWithFlags ? PcapngPacketFlags(rawValue: entry.flags) : nil,
                                                   data: data)
                }
                arena.release(Int(entry.length))
            case .rawBlock:
                try arena.withBytes(at: entry.offset, length: Int(entry.length)) { block throws(PcapngWriteError) in
                    writer.appendRawBlock(block, replacingInterfaceIDAt: 8, with: entry.interfaceID)
                }
                releaseRawBlock(entry)
            }
            written += 1
        }
        compactIfNeeded()
        return written
    }

    // MARK: Internals

    private func checkOpen(_ source: SourceID) throws(PcapngMergeError) {
        guard sources.indices.contains(source.rawValue) else { throw PcapngMergeError(.unknownSource(source.rawValue)) }
        guard sources[source.rawValue].open else { throw PcapngMergeError(.sourceClosed(source.rawValue)) }
    }

    private func outputInterface(_ source: SourceID, _ local: UInt32) throws(PcapngMergeError) -> UInt32 {
        try checkOpen(source)
        let map = sources[source.rawValue].interfaceMap
        guard Int(local) < map.count else {
            throw PcapngMergeError(.unknownInterface(source: source.rawValue, id: local, known: map.count))
        }
        return map[Int(local)]
    }

    private mutating func noteArrival(_ source: SourceID, _ timestamp: UInt64) {
        if timestamp < lastReleased { latePackets += 1 }
        let latest = sources[source.rawValue].latest
        if latest == nil || timestamp > latest! { sources[source.rawValue].latest = timestamp }
        if timestamp > newest { newest = timestamp }
        cachedBound = nil
    }

    /// Every buffered entry with a timestamp at or below this is ready.
    private mutating func releaseBound() -> UInt64 {
        if let cachedBound { return cachedBound }
        var bound: UInt64 = 0
        var anyOpen = false
        var everyOpenHasPushed = true
        var oldestLatest = UInt64.max
        // By index: iterating the array itself allocates an accessor frame per element where the iteration is
        // not specialised (debug builds), and this runs once per batch (Tests/AllocationCountTests).
        for index in sources.indices where sources[index].open {
            let source = sources[index]
            anyOpen = true
            if let latest = source.latest { oldestLatest = min(oldestLatest, latest) } else { everyOpenHasPushed = false }
        }
        if finished || !anyOpen {
            bound = .max
        } else {
            if everyOpenHasPushed, !sourcesMayJoin { bound = oldestLatest }
            let reference = max(newest, clock)
            if reference > reorderWindow { bound = max(bound, reference - reorderWindow) }
        }
        cachedBound = bound
        return bound
    }

    private mutating func popReady() -> Entry? {
        guard let top = heap.minimum else { return nil }
        let late = top.timestamp < lastReleased
        guard late || top.timestamp <= releaseBound() else { return nil }
        _ = heap.pop()
        if top.timestamp > lastReleased { lastReleased = top.timestamp }
        return top
    }

    private mutating func takePendingInterface() -> PcapngInterfaceDescription {
        let interface = pendingInterfaces[pendingInterfaceIndex]
        pendingInterfaceIndex += 1
        if pendingInterfaceIndex == pendingInterfaces.count {
            pendingInterfaces.removeAll(keepingCapacity: true)
            pendingInterfaceIndex = 0
        }
        return interface
    }

    /// The packet of a popped entry (taking its annotation, if any).
    private mutating func packet(_ entry: Entry, data: ArraySlice<UInt8>) -> PcapngEnhancedPacket {
        switch entry.kind {
        case .annotated:
            let slot = Int(entry.flags)
            let annotation = annotations[slot]!
            annotations[slot] = nil
            freeAnnotationSlots.append(slot)
            return PcapngEnhancedPacket(interfaceID: entry.interfaceID, timestamp: entry.timestamp, originalLength: entry.originalLength,
                                        data: data, flags: annotation.flags, comments: annotation.comments)
        default:
            return PcapngEnhancedPacket(interfaceID: entry.interfaceID, timestamp: entry.timestamp, originalLength: entry.originalLength,
                                        data: data, flags: entry.kind == .packetWithFlags ? PcapngPacketFlags(rawValue: entry.flags) : nil)
        }
    }

    /// The packet of a popped raw block, read from the block (its flags, if any, right after the padding).
    private func rawPacket(_ entry: Entry) -> PcapngEnhancedPacket {
        let captured = Int(entry.flags)
        let start = entry.offset + 28
        let optionsStart = start + paddedTo32Bits(captured)
        let flags = entry.offset + Int(entry.length) - 4 > optionsStart
            ? PcapngPacketFlags(rawValue: arena.bytes.withUnsafeBytes { $0.loadLittleEndian(at: optionsStart + 4, as: UInt32.self) }) : nil
        return PcapngEnhancedPacket(interfaceID: entry.interfaceID, timestamp: entry.timestamp, originalLength: entry.originalLength,
                                    data: arena.bytes[start..<start + captured], flags: flags)
    }

    private mutating func releaseRawBlock(_ entry: Entry) {
        rawFramingBytes -= Int(entry.length) - Int(entry.flags)
        arena.release(Int(entry.length))
    }

    private mutating func storeAnnotation(_ annotation: Annotation) -> Int {
        if let free = freeAnnotationSlots.popLast() {
            annotations[free] = annotation
            return free
        }
        annotations.append(annotation)
        return annotations.count - 1
    }

    private mutating func takeStatistics(_ slot: Int) -> PcapngInterfaceStatistics {
        let block = statistics[slot]!
        statistics[slot] = nil
        freeStatisticsSlots.append(slot)
        return block
    }

    private mutating func compactIfNeeded() {
        guard arena.needsCompaction else { return }
        var heap = self.heap
        self.heap = MinHeap()
        arena.compact { move in
            heap.updateEach { entry in
                if entry.kind != .statistics { entry.offset = move(entry.offset, Int(entry.length)) }
            }
        }
        self.heap = heap
    }
}
