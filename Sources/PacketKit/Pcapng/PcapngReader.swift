/// Reads pcapng — sections of either byte order, IDBs, EPBs, ISBs; other blocks as ``PcapngBlock/other(type:body:)``
/// — from a complete byte array or incrementally from chunks as they arrive.
///
/// ```swift
/// var reader = PcapngReader(bytes: fileBytes)
/// while let block = try reader.next() { … }        // nil at the end; throws PcapngError on damage
///
/// var stream = PcapngReader()                       // incremental
/// stream.append(contentsOf: chunk)                  // as chunks arrive
/// while let block = try stream.next() { … }         // nil: needs more input
/// stream.finishInput()                              // then next() throws .truncated if a block was cut
/// ```
///
/// The reader never traps on bad input: every length is checked before it is used, and a problem is a
/// typed ``PcapngError`` naming the offset. Packet bytes are returned as slices of the reader's buffer
/// (no copy, no allocation per packet); release them before appending more input, or the buffer is copied.
/// Timestamps are converted to nanoseconds with the interface's `if_tsresol` and `if_tsoffset`.
public struct PcapngReader: Sendable {
    /// The largest block accepted (64 MiB unless configured): a corrupt length fails fast instead of
    /// making a streaming reader wait for gigabytes.
    public let maximumBlockLength: Int
    /// The current section's header, once read.
    public private(set) var section: PcapngSectionHeader?
    /// The current section's interfaces, in id order.
    public private(set) var interfaces: [PcapngInterfaceDescription] = []

    private var storage: [UInt8]
    private var position = 0
    private var discarded = 0
    private var inputComplete: Bool
    private var bigEndian = false
    private var formats: [TimeFormat] = []

    struct TimeFormat: Sendable {
        var resolution: PcapngTimestampResolution
        var offsetNanoseconds: Int64

        init(_ interface: PcapngInterfaceDescription) {
            resolution = interface.timestampResolution
            let offset = (interface.timestampOffsetSeconds ?? 0).multipliedReportingOverflow(by: 1_000_000_000)
            offsetNanoseconds = offset.overflow ? 0 : offset.partialValue
        }

        @inline(__always)
        func nanoseconds(_ units: UInt64) -> UInt64 {
            let value = resolution.nanoseconds(fromUnits: units)
            if offsetNanoseconds == 0 { return value }
            return offsetNanoseconds > 0 ? value &+ UInt64(offsetNanoseconds) : value - min(value, offsetNanoseconds.magnitude)
        }
    }

    /// 64 MiB.
    public static let defaultMaximumBlockLength = 64 << 20

    /// Reads a complete stream (e.g. a file's contents); the array is shared, not copied.
    public init(bytes: [UInt8], maximumBlockLength: Int = PcapngReader.defaultMaximumBlockLength) {
        self.storage = bytes
        self.inputComplete = true
        self.maximumBlockLength = maximumBlockLength
    }

    /// Reads a stream incrementally: feed it with ``append(_:)`` and end it with ``finishInput()``.
    public init(maximumBlockLength: Int = PcapngReader.defaultMaximumBlockLength) {
        self.storage = []
        self.inputComplete = false
        self.maximumBlockLength = maximumBlockLength
    }

    /// Reads every block of a complete stream.
    public static func readAll(_ bytes: [UInt8]) throws(PcapngError) -> [PcapngBlock] {
        var reader = PcapngReader(bytes: bytes)
        var blocks: [PcapngBlock] = []
        while let block = try reader.next() { blocks.append(block) }
        return blocks
    }

    /// Adds input. Consumed bytes are dropped from the front of the buffer now and then (amortised O(1)).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(!inputComplete, "PcapngReader: append after finishInput()")
        if position > 0, position >= storage.count / 2 {
            storage.removeSubrange(0..<position)
            discarded += position
            position = 0
        }
        storage.appendBytes(bytes)
    }

    /// Adds input held in an array.
    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Declares the end of the input: a partial block left over is then an error.
    public mutating func finishInput() {
        inputComplete = true
    }

    /// Whether the input is complete and every byte has been read.
    public var isAtEnd: Bool { inputComplete && position == storage.count }

    /// The offset from the start of the stream of the next block.
    public var offset: Int { discarded + position }

    /// The next block; nil at the end of a complete input, or when an incremental input needs more bytes.
    public mutating func next() throws(PcapngError) -> PcapngBlock? {
        guard let raw = try nextRaw() else { return nil }
        return try decode(raw)
    }

    // MARK: Framing

    typealias RawBlock = PcapngRawBlock

    /// Frames the next block (checking lengths and the section structure) without decoding its body.
    mutating func nextRaw() throws(PcapngError) -> RawBlock? {
        let start = position
        let bigEndian = self.bigEndian, inSection = section != nil, complete = inputComplete
        let maximum = maximumBlockLength, streamOffset = discarded + position
        let framed: Result<RawBlock?, PcapngError> = storage.withUnsafeBytes { bytes in
            do throws(PcapngError) {
                return .success(try PcapngFraming.frame(bytes, at: start, bigEndian: bigEndian, inSection: inSection, complete: complete,
                                                        maximumBlockLength: maximum, streamOffset: streamOffset))
            } catch { return .failure(error) }
        }
        guard let raw = try framed.get() else { return nil }
        if let sectionBigEndian = raw.sectionBigEndian { self.bigEndian = sectionBigEndian }
        position = raw.start + raw.length
        return raw
    }

    // MARK: Decoding

    /// Decodes a framed block, updating the section and interface tables.
    mutating func decode(_ raw: RawBlock) throws(PcapngError) -> PcapngBlock {
        switch raw.type {
        case PcapngBlock.BlockType.sectionHeader:
            let header = try withBlock(raw) { view throws(PcapngError) in try Self.decodeSectionHeader(view, raw) }
            section = header
            interfaces.removeAll(keepingCapacity: true)
            formats.removeAll(keepingCapacity: true)
            return .sectionHeader(header)
        case PcapngBlock.BlockType.interfaceDescription:
            let interface = try withBlock(raw) { view throws(PcapngError) in try Self.decodeInterface(view, raw) }
            interfaces.append(interface)
            formats.append(TimeFormat(interface))
            return .interfaceDescription(interface)
        case PcapngBlock.BlockType.enhancedPacket:
            let formats = self.formats, storage = self.storage
            return .enhancedPacket(try withBlock(raw) { view throws(PcapngError) in
                try Self.decodeEnhancedPacket(view, raw, formats: formats, storage: storage)
            })
        case PcapngBlock.BlockType.interfaceStatistics:
            let formats = self.formats
            return .interfaceStatistics(try withBlock(raw) { view throws(PcapngError) in
                try Self.decodeStatistics(view, raw, formats: formats)
            })
        default:
            return .other(type: raw.type, body: storage[raw.start + 8..<raw.start + raw.length - 4])
        }
    }

    /// The fixed fields of an EPB.
    struct PacketHeader {
        var interfaceID: UInt32
        var timestamp: UInt64
        var originalLength: UInt32
    }

    /// Lends the block's bytes (from its type field to its trailing length) in the section's byte order.
    @inline(__always)
    func withBlock<T>(_ raw: RawBlock, _ body: (PcapngByteView) throws(PcapngError) -> T) throws(PcapngError) -> T {
        let bigEndian = self.bigEndian
        let outcome: Result<T, PcapngError> = storage.withUnsafeBytes { all in
            let view = PcapngByteView(bytes: UnsafeRawBufferPointer(rebasing: all[raw.start..<raw.start + raw.length]), bigEndian: bigEndian)
            do throws(PcapngError) { return .success(try body(view)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// A whole EPB; its data is a slice of `storage` (the buffer `raw` was framed in).
    static func decodeEnhancedPacket(_ view: PcapngByteView, _ raw: RawBlock, formats: [TimeFormat], storage: [UInt8]) throws(PcapngError)
        -> PcapngEnhancedPacket
    {
        let (header, dataRange, options) = try decodePacketHeader(view, raw, formats: formats)
        var packet = PcapngEnhancedPacket(interfaceID: header.interfaceID, timestamp: header.timestamp, originalLength: header.originalLength,
                                          data: storage[raw.start + dataRange.lowerBound..<raw.start + dataRange.upperBound])
        try view.forEachOption(in: options, blockOffset: raw.streamOffset, blockType: raw.type) { code, value throws(PcapngError) in
            switch code {
            case PcapngOption.Code.comment: packet.comments.append(view.string(value))
            case PcapngEnhancedPacket.OptionCode.flags where value.count == 4:
                packet.flags = PcapngPacketFlags(rawValue: view.u32(value.lowerBound))
            case PcapngEnhancedPacket.OptionCode.dropCount where value.count == 8:
                packet.dropCount = view.u64(value.lowerBound)
            default: break
            }
        }
        return packet
    }

    /// EPB: interface, timestamp, lengths; the data's and the options' ranges within the block.
    @inline(__always)
    static func decodePacketHeader(_ view: PcapngByteView, _ raw: RawBlock, formats: [TimeFormat]) throws(PcapngError)
        -> (PacketHeader, Range<Int>, Range<Int>)
    {
        let end = raw.length - 4
        guard end >= 28 else { throw PcapngError(.malformedBlock(reason: "an Enhanced Packet Block needs 32 bytes, has \(raw.length)"), offset: raw.streamOffset, blockType: raw.type) }
        let interfaceID = view.u32(8)
        guard Int(interfaceID) < formats.count else {
            throw PcapngError(.unknownInterface(id: interfaceID, known: formats.count), offset: raw.streamOffset, blockType: raw.type)
        }
        let captured = Int(view.u32(20))
        guard captured <= end - 28 else {
            throw PcapngError(.malformedBlock(reason: "captured length \(captured) exceeds the block's \(end - 28) data bytes"),
                              offset: raw.streamOffset, blockType: raw.type)
        }
        let timestamp = formats[Int(interfaceID)].nanoseconds(view.timestamp(12))
        let optionsStart = min(28 + paddedTo32Bits(captured), end)
        return (PacketHeader(interfaceID: interfaceID, timestamp: timestamp, originalLength: view.u32(24)),
                28..<28 + captured, optionsStart..<end)
    }

    static func decodeSectionHeader(_ view: PcapngByteView, _ raw: RawBlock) throws(PcapngError) -> PcapngSectionHeader {
        let major = view.u16(12), minor = view.u16(14)
        guard major == 1 else { throw PcapngError(.unsupportedVersion(major: major, minor: minor), offset: raw.streamOffset, blockType: raw.type) }
        var header = PcapngSectionHeader(byteOrder: view.bigEndian ? .bigEndian : .littleEndian, majorVersion: major, minorVersion: minor,
                                         sectionLength: Int64(bitPattern: view.u64(16)), userApplication: nil)
        try view.forEachOption(in: 24..<raw.length - 4, blockOffset: raw.streamOffset, blockType: raw.type) { code, value throws(PcapngError) in
            switch code {
            case PcapngOption.Code.comment: header.comments.append(view.string(value))
            case PcapngSectionHeader.OptionCode.hardware: header.hardware = view.string(value)
            case PcapngSectionHeader.OptionCode.operatingSystem: header.operatingSystem = view.string(value)
            case PcapngSectionHeader.OptionCode.userApplication: header.userApplication = view.string(value)
            default: header.otherOptions.append(PcapngOption(code: code, value: view.array(value)))
            }
        }
        return header
    }

    static func decodeInterface(_ view: PcapngByteView, _ raw: RawBlock) throws(PcapngError) -> PcapngInterfaceDescription {
        guard raw.length >= 20 else {
            throw PcapngError(.malformedBlock(reason: "an Interface Description Block needs 20 bytes, has \(raw.length)"), offset: raw.streamOffset, blockType: raw.type)
        }
        typealias Code = PcapngInterfaceDescription.OptionCode
        var interface = PcapngInterfaceDescription(linkType: LinkType(rawValue: Int32(view.u16(8))), snapLength: view.u32(12),
                                                   timestampResolution: .microseconds)
        try view.forEachOption(in: 16..<raw.length - 4, blockOffset: raw.streamOffset, blockType: raw.type) { code, value throws(PcapngError) in
            switch code {
            case PcapngOption.Code.comment: interface.comments.append(view.string(value))
            case Code.name: interface.name = view.string(value)
            case Code.description: interface.description = view.string(value)
            case Code.timestampResolution where value.count >= 1:
                interface.timestampResolution = PcapngTimestampResolution(rawValue: view.bytes[value.lowerBound])
            case Code.filter where value.count >= 1 && view.bytes[value.lowerBound] == PcapngInterfaceDescription.libpcapFilterType:
                interface.filter = view.string(value.lowerBound + 1..<value.upperBound)
            case Code.operatingSystem: interface.operatingSystem = view.string(value)
            case Code.timestampOffset where value.count == 8: interface.timestampOffsetSeconds = Int64(bitPattern: view.u64(value.lowerBound))
            case Code.hardware: interface.hardware = view.string(value)
            default: interface.otherOptions.append(PcapngOption(code: code, value: view.array(value)))
            }
        }
        return interface
    }

    static func decodeStatistics(_ view: PcapngByteView, _ raw: RawBlock, formats: [TimeFormat]) throws(PcapngError) -> PcapngInterfaceStatistics {
        guard raw.length >= 24 else {
            throw PcapngError(.malformedBlock(reason: "an Interface Statistics Block needs 24 bytes, has \(raw.length)"), offset: raw.streamOffset, blockType: raw.type)
        }
        let interfaceID = view.u32(8)
        guard Int(interfaceID) < formats.count else {
            throw PcapngError(.unknownInterface(id: interfaceID, known: formats.count), offset: raw.streamOffset, blockType: raw.type)
        }
        let format = formats[Int(interfaceID)]
        typealias Code = PcapngInterfaceStatistics.OptionCode
        var statistics = PcapngInterfaceStatistics(interfaceID: interfaceID, timestamp: format.nanoseconds(view.timestamp(12)))
        try view.forEachOption(in: 20..<raw.length - 4, blockOffset: raw.streamOffset, blockType: raw.type) { code, value throws(PcapngError) in
            if code == PcapngOption.Code.comment { statistics.comments.append(view.string(value)); return }
            guard value.count == 8 else { return }
            let at = value.lowerBound
            switch code {
            case Code.startTime: statistics.startTime = format.nanoseconds(view.timestamp(at))
            case Code.endTime: statistics.endTime = format.nanoseconds(view.timestamp(at))
            case Code.received: statistics.received = view.u64(at)
            case Code.interfaceDrops: statistics.interfaceDrops = view.u64(at)
            case Code.filterAccepted: statistics.filterAccepted = view.u64(at)
            case Code.osDrops: statistics.osDrops = view.u64(at)
            case Code.userDelivered: statistics.userDelivered = view.u64(at)
            default: break
            }
        }
        return statistics
    }
}
