/// Writes pcapng — little-endian, options padded to 32 bits and ended with `opt_endofopt` — into an
/// in-memory buffer that the caller drains to a file, a socket or an HTTP body.
///
/// ```swift
/// var writer = PcapngWriter()
/// writer.writeSectionHeader()
/// let web = try writer.writeInterfaceDescription(.init(name: "node-3/web-7f9c/eth0", filter: "tcp port 5432"))
/// try writer.writeEnhancedPacket(interfaceID: web, timestamp: ns, data: bytes)
/// try writer.writeInterfaceStatistics(.init(interfaceID: web, timestamp: ns, osDrops: 0))
/// try writer.drain { chunk in try file.write(chunk) }
/// ```
///
/// ## No allocation per packet
/// Blocks are appended to ``bytes``, whose capacity is reserved once and kept across ``drain(_:)`` /
/// ``removeAll()``: writing a packet copies its header fields from the stack and its bytes with one
/// memcpy, and allocates nothing. Timestamps are taken in nanoseconds and converted to each interface's
/// `if_tsresol` (a no-op for nanosecond interfaces).
public struct PcapngWriter: Sendable {
    /// What has been written and not yet drained.
    public private(set) var bytes: [UInt8]
    private var interfaces: [InterfaceFormat] = []
    private var inSection = false

    private struct InterfaceFormat: Sendable {
        var resolution: PcapngTimestampResolution
        var snapLength: UInt32
        var offsetNanoseconds: Int64

        /// A time in nanoseconds since the epoch as this interface's timestamp units (minus `if_tsoffset`).
        @inline(__always)
        func units(_ nanoseconds: UInt64) -> UInt64 {
            var value = nanoseconds
            if offsetNanoseconds > 0 {
                value = nanoseconds - min(nanoseconds, UInt64(offsetNanoseconds))
            } else if offsetNanoseconds < 0 {
                value = nanoseconds &+ offsetNanoseconds.magnitude
            }
            return resolution.units(fromNanoseconds: value)
        }
    }

    /// An empty writer whose buffer has room for `reservingCapacity` bytes.
    public init(reservingCapacity: Int = 1 << 20) {
        bytes = []
        bytes.reserveCapacity(reservingCapacity)
    }

    /// How many bytes have been written and not yet drained.
    public var byteCount: Int { bytes.count }

    /// How many interfaces the current section describes (the next IDB gets this id).
    public var interfaceCount: Int { interfaces.count }

    /// Hands the written bytes to `body`, then empties the buffer, keeping its capacity.
    public mutating func drain<Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Void) throws(Failure) {
        let outcome: Result<Void, Failure> = bytes.withUnsafeBytes { chunk in
            do throws(Failure) { try body(chunk); return .success(()) } catch { return .failure(error) }
        }
        try outcome.get()
        bytes.removeAll(keepingCapacity: true)
    }

    /// Empties the buffer, keeping its capacity (after the caller has written ``bytes`` out).
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Blocks

    /// Starts a new section: writes an SHB (always little-endian) and forgets the previous section's interfaces.
    public mutating func writeSectionHeader(_ header: PcapngSectionHeader = PcapngSectionHeader()) {
        let start = beginBlock(PcapngBlock.BlockType.sectionHeader)
        bytes.appendLittleEndian(PcapngBlock.byteOrderMagic)
        bytes.appendLittleEndian(header.majorVersion)
        bytes.appendLittleEndian(header.minorVersion)
        bytes.appendLittleEndian(header.sectionLength)
        let options = bytes.count
        do {
            try bytes.appendOption(code: PcapngOption.Code.comment, strings: header.comments)
            try bytes.appendOption(code: PcapngSectionHeader.OptionCode.hardware, string: header.hardware)
            try bytes.appendOption(code: PcapngSectionHeader.OptionCode.operatingSystem, string: header.operatingSystem)
            try bytes.appendOption(code: PcapngSectionHeader.OptionCode.userApplication, string: header.userApplication)
            for option in header.otherOptions { try bytes.appendOption(code: option.code, value: option.value) }
        } catch {
            // An over-long option: keep the block valid by dropping all options.
            bytes.removeSubrange(options...)
        }
        bytes.endOptions(startedAt: options)
        endBlock(start)
        interfaces.removeAll(keepingCapacity: true)
        inSection = true
    }

    /// Appends an IDB and returns the interface id packets of that interface use.
    @discardableResult
    public mutating func writeInterfaceDescription(_ interface: PcapngInterfaceDescription) throws(PcapngWriteError) -> UInt32 {
        guard inSection else { throw PcapngWriteError(.noSection) }
        let start = beginBlock(PcapngBlock.BlockType.interfaceDescription)
        bytes.appendLittleEndian(UInt32(UInt16(truncatingIfNeeded: interface.linkType.rawValue)))  // link type, reserved
        bytes.appendLittleEndian(interface.snapLength)
        let options = bytes.count
        do {
            try bytes.appendOption(code: PcapngOption.Code.comment, strings: interface.comments)
            try bytes.appendOption(code: PcapngInterfaceDescription.OptionCode.name, string: interface.name)
            try bytes.appendOption(code: PcapngInterfaceDescription.OptionCode.description, string: interface.description)
            if interface.timestampResolution != .microseconds {
                bytes.appendLittleEndian(UInt32(1) << 16 | UInt32(PcapngInterfaceDescription.OptionCode.timestampResolution))
                bytes.appendLittleEndian(UInt32(interface.timestampResolution.rawValue))  // value + 3 bytes padding
            }
            if let filter = interface.filter {
                try bytes.appendOption(code: PcapngInterfaceDescription.OptionCode.filter,
                                       value: [PcapngInterfaceDescription.libpcapFilterType] + Array(filter.utf8))
            }
            try bytes.appendOption(code: PcapngInterfaceDescription.OptionCode.operatingSystem, string: interface.operatingSystem)
            bytes.appendOption(code: PcapngInterfaceDescription.OptionCode.timestampOffset,
                               uint64: interface.timestampOffsetSeconds.map { UInt64(bitPattern: $0) })
            try bytes.appendOption(code: PcapngInterfaceDescription.OptionCode.hardware, string: interface.hardware)
            for option in interface.otherOptions { try bytes.appendOption(code: option.code, value: option.value) }
        } catch {
            bytes.removeSubrange(start...)
            throw error
        }
        bytes.endOptions(startedAt: options)
        endBlock(start)
        let offset = (interface.timestampOffsetSeconds ?? 0).multipliedReportingOverflow(by: 1_000_000_000)
        interfaces.append(InterfaceFormat(resolution: interface.timestampResolution, snapLength: interface.snapLength,
                                          offsetNanoseconds: offset.overflow ? 0 : offset.partialValue))
        return UInt32(interfaces.count - 1)
    }

    /// Appends an EPB for `data` captured on `interfaceID` at `timestamp` (ns since the epoch).
    ///
    /// Data longer than the interface's snapshot length is cut to it; `originalLength` defaults to
    /// `data.count`. Allocation-free within the buffer's capacity.
    public mutating func writeEnhancedPacket(interfaceID: UInt32, timestamp: UInt64, originalLength: Int? = nil,
                                             flags: PcapngPacketFlags? = nil, dropCount: UInt64? = nil,
                                             data: UnsafeRawBufferPointer) throws(PcapngWriteError) {
        let format = try interfaceFormat(interfaceID)
        var captured = data.count
        if format.snapLength != 0, captured > Int(format.snapLength) { captured = Int(format.snapLength) }
        guard captured <= 0x7fff_0000 else { throw PcapngWriteError(.packetTooLong(length: captured)) }
        let units = format.units(timestamp)
        let padded = paddedTo32Bits(captured)
        var total = 32 + padded
        if flags != nil { total += 8 }
        if dropCount != nil { total += 12 }
        if flags != nil || dropCount != nil { total += 4 }
        bytes.appendLittleEndian(UInt64(total) << 32 | UInt64(PcapngBlock.BlockType.enhancedPacket))
        bytes.appendLittleEndian(UInt64(units >> 32) << 32 | UInt64(interfaceID))
        bytes.appendLittleEndian(UInt64(captured) << 32 | (units & 0xffff_ffff))
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: max(originalLength ?? data.count, captured)))
        bytes.appendBytes(UnsafeRawBufferPointer(rebasing: data[0..<captured]))
        bytes.appendZeros(padded - captured)
        if flags != nil || dropCount != nil {
            bytes.appendOption(code: PcapngEnhancedPacket.OptionCode.flags, uint32: flags?.rawValue)
            bytes.appendOption(code: PcapngEnhancedPacket.OptionCode.dropCount, uint64: dropCount)
            bytes.appendLittleEndian(UInt32(0))
        }
        bytes.appendLittleEndian(UInt32(total))
    }

    /// Appends an EPB from a packet value (its comments included).
    public mutating func writeEnhancedPacket(_ packet: PcapngEnhancedPacket) throws(PcapngWriteError) {
        if packet.comments.isEmpty {
            let outcome: Result<Void, PcapngWriteError> = packet.data.withUnsafeBytes { data in
                do throws(PcapngWriteError) {
                    try writeEnhancedPacket(interfaceID: packet.interfaceID, timestamp: packet.timestamp,
                                            originalLength: Int(packet.originalLength), flags: packet.flags,
                                            dropCount: packet.dropCount, data: data)
                    return .success(())
                } catch { return .failure(error) }
            }
            return try outcome.get()
        }
        let format = try interfaceFormat(packet.interfaceID)
        var captured = packet.data.count
        if format.snapLength != 0, captured > Int(format.snapLength) { captured = Int(format.snapLength) }
        let units = format.units(packet.timestamp)
        let start = beginBlock(PcapngBlock.BlockType.enhancedPacket)
        bytes.appendLittleEndian(packet.interfaceID)
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: units >> 32))
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: units))
        bytes.appendLittleEndian(UInt32(captured))
        bytes.appendLittleEndian(max(packet.originalLength, UInt32(captured)))
        bytes.append(contentsOf: packet.data.prefix(captured))
        bytes.appendZeros(paddedTo32Bits(captured) - captured)
        let options = bytes.count
        do {
            try bytes.appendOption(code: PcapngOption.Code.comment, strings: packet.comments)
        } catch {
            bytes.removeSubrange(start...)
            throw error
        }
        bytes.appendOption(code: PcapngEnhancedPacket.OptionCode.flags, uint32: packet.flags?.rawValue)
        bytes.appendOption(code: PcapngEnhancedPacket.OptionCode.dropCount, uint64: packet.dropCount)
        bytes.endOptions(startedAt: options)
        endBlock(start)
    }

    /// Appends an ISB; its times are converted to the interface's resolution.
    public mutating func writeInterfaceStatistics(_ statistics: PcapngInterfaceStatistics) throws(PcapngWriteError) {
        let format = try interfaceFormat(statistics.interfaceID)
        let start = beginBlock(PcapngBlock.BlockType.interfaceStatistics)
        let units = format.units(statistics.timestamp)
        bytes.appendLittleEndian(statistics.interfaceID)
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: units >> 32))
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: units))
        let options = bytes.count
        do {
            try bytes.appendOption(code: PcapngOption.Code.comment, strings: statistics.comments)
        } catch {
            bytes.removeSubrange(start...)
            throw error
        }
        typealias Code = PcapngInterfaceStatistics.OptionCode
        bytes.appendOption(code: Code.startTime, timestampUnits: statistics.startTime.map(format.units))
        bytes.appendOption(code: Code.endTime, timestampUnits: statistics.endTime.map(format.units))
        bytes.appendOption(code: Code.received, uint64: statistics.received)
        bytes.appendOption(code: Code.interfaceDrops, uint64: statistics.interfaceDrops)
        bytes.appendOption(code: Code.filterAccepted, uint64: statistics.filterAccepted)
        bytes.appendOption(code: Code.osDrops, uint64: statistics.osDrops)
        bytes.appendOption(code: Code.userDelivered, uint64: statistics.userDelivered)
        bytes.endOptions(startedAt: options)
        endBlock(start)
    }

    /// Appends any block; `.other` blocks are written with their body unchanged (it must be little-endian).
    public mutating func write(_ block: PcapngBlock) throws(PcapngWriteError) {
        switch block {
        case .sectionHeader(let header): writeSectionHeader(header)
        case .interfaceDescription(let interface): try writeInterfaceDescription(interface)
        case .enhancedPacket(let packet): try writeEnhancedPacket(packet)
        case .interfaceStatistics(let statistics): try writeInterfaceStatistics(statistics)
        case .other(let type, let body):
            guard inSection else { throw PcapngWriteError(.noSection) }
            let start = beginBlock(type)
            bytes.append(contentsOf: body)
            bytes.appendZeros(paddedTo32Bits(body.count) - body.count)
            endBlock(start)
        }
    }

    // MARK: Raw copies (the merger's fast path)

    /// Appends a whole little-endian block copied from another stream, with the interface id at
    /// `interfaceIDOffset` (from the block's start) replaced. One memcpy and one 4-byte store.
    mutating func appendRawBlock(_ block: UnsafeRawBufferPointer, replacingInterfaceIDAt interfaceIDOffset: Int?,
                                 with interfaceID: UInt32) {
        let start = bytes.count
        bytes.appendBytes(block)
        if let interfaceIDOffset { bytes.storeLittleEndian(interfaceID, at: start + interfaceIDOffset) }
    }

    /// Records an interface whose IDB was copied raw by ``appendRawBlock(_:replacingInterfaceIDAt:with:)``.
    mutating func registerCopiedInterface(_ interface: PcapngInterfaceDescription) -> UInt32 {
        interfaces.append(InterfaceFormat(resolution: interface.timestampResolution, snapLength: interface.snapLength,
                                          offsetNanoseconds: (interface.timestampOffsetSeconds ?? 0) &* 1_000_000_000))
        return UInt32(interfaces.count - 1)
    }

    /// Whether a section has been started (raw copies need one).
    var hasSection: Bool { inSection }

    // MARK: Helpers

    private func interfaceFormat(_ id: UInt32) throws(PcapngWriteError) -> InterfaceFormat {
        guard inSection else { throw PcapngWriteError(.noSection) }
        guard Int(id) < interfaces.count else { throw PcapngWriteError(.unknownInterface(id: id, known: interfaces.count)) }
        return interfaces[Int(id)]
    }

    private mutating func beginBlock(_ type: UInt32) -> Int {
        let start = bytes.count
        bytes.appendLittleEndian(UInt64(type))  // type, length patched by endBlock
        return start
    }

    private mutating func endBlock(_ start: Int) {
        let total = UInt32(bytes.count - start + 4)
        bytes.storeLittleEndian(total, at: start + 4)
        bytes.appendLittleEndian(total)
    }
}
