import PacketKit
import Testing

@Suite("pcapng writer → reader")
struct PcapngRoundTripTests {
    @Test("every block and option comes back as written")
    func everyBlock() throws {
        let (bytes, written) = try SampleCaptures.everyBlock()
        let read = try PcapngReader.readAll(bytes)
        try #require(read.count == written.count)
        for (index, (got, expected)) in zip(read, written).enumerated() {
            if case .enhancedPacket(var packet) = expected, packet.data.count > 96, packet.interfaceID == 1 {
                packet.originalLength = UInt32(packet.data.count)
                packet.data = packet.data.prefix(96)
                #expect(got == .enhancedPacket(packet), "block \(index): cut to the snapshot length, original length kept")
            } else {
                #expect(got == expected, "block \(index)")
            }
        }
    }

    @Test("blocks are 32-bit aligned, options padded and ended with opt_endofopt")
    func layout() throws {
        var writer = PcapngWriter()
        writer.writeSectionHeader(PcapngSectionHeader(userApplication: "abc"))
        // SHB: type, length 40, magic, 1.0, section length -1, shb_userappl "abc" + 1 pad, endofopt, length.
        #expect(writer.bytes == [0x0A, 0x0D, 0x0D, 0x0A, 40, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0,
                                 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 4, 0, 3, 0, 0x61, 0x62, 0x63, 0,
                                 0, 0, 0, 0, 40, 0, 0, 0])
        writer.removeAll()
        try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 128, name: "e", filter: "ip"))
        #expect(writer.bytes == [1, 0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 128, 0, 0, 0,
                                 2, 0, 1, 0, 0x65, 0, 0, 0,           // if_name "e"
                                 9, 0, 1, 0, 9, 0, 0, 0,              // if_tsresol 9
                                 11, 0, 3, 0, 0, 0x69, 0x70, 0,       // if_filter: type 0, "ip"
                                 0, 0, 0, 0, 48, 0, 0, 0])
        writer.removeAll()
        try [UInt8]([1, 2, 3, 4, 5]).withUnsafeBytes { data in
            try writer.writeEnhancedPacket(interfaceID: 0, timestamp: 0x1_0000_0002, data: data)
        }
        #expect(writer.bytes == [6, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0,
                                 1, 2, 3, 4, 5, 0, 0, 0, 40, 0, 0, 0])
        writer.removeAll()
        try writer.writeInterfaceStatistics(PcapngInterfaceStatistics(interfaceID: 0, timestamp: 0, osDrops: 9))
        #expect(writer.bytes == [5, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 7, 0, 8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0])
    }

    @Test("timestamps are converted between nanoseconds and each interface's resolution")
    func resolutions() throws {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        let micro = try writer.writeInterfaceDescription(PcapngInterfaceDescription(timestampResolution: .microseconds))
        let binary = try writer.writeInterfaceDescription(PcapngInterfaceDescription(timestampResolution: PcapngTimestampResolution(rawValue: 0x80 | 20)))
        let offset = try writer.writeInterfaceDescription(PcapngInterfaceDescription(timestampOffsetSeconds: 1_000))
        let ns: UInt64 = 1_700_000_000_123_456_789
        for id in [micro, binary, offset] {
            try [UInt8]([0]).withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: id, timestamp: ns, data: $0) }
        }
        let packets = try PcapngReader.readAll(writer.bytes).compactMap(\.packet)
        #expect(packets[0].timestamp == 1_700_000_000_123_456_000)
        #expect(ns - packets[1].timestamp < 954, "2^-20 s ≈ 954 ns")
        #expect(packets[2].timestamp == ns)
        #expect(PcapngTimestampResolution.nanoseconds.units(fromNanoseconds: ns) == ns)
    }

    @Test("several sections: interface ids restart with each")
    func sections() throws {
        var writer = PcapngWriter()
        for name in ["a", "b"] {
            writer.writeSectionHeader()
            let id = try writer.writeInterfaceDescription(PcapngInterfaceDescription(name: name))
            #expect(id == 0)
            try [UInt8]([1]).withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: id, timestamp: 5, data: $0) }
        }
        var reader = PcapngReader(bytes: writer.bytes)
        var names: [String?] = []
        while let block = try reader.next() {
            if case .enhancedPacket = block { names.append(reader.interfaces[0].name) }
        }
        #expect(names == ["a", "b"])
    }

    @Test("the writer refuses blocks before a section and unknown interfaces")
    func writerErrors() throws {
        var writer = PcapngWriter()
        #expect(throws: PcapngWriteError(.noSection)) { try writer.writeInterfaceDescription(PcapngInterfaceDescription()) }
        writer.writeSectionHeader()
        #expect(throws: PcapngWriteError(.unknownInterface(id: 0, known: 0))) {
            try [UInt8]([1]).withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: 0, timestamp: 0, data: $0) }
        }
    }

    @Test("writing packets reuses the buffer: no reallocation per packet")
    func reuse() throws {
        var writer = PcapngWriter(reservingCapacity: 1 << 16)
        writer.writeSectionHeader()
        let id = try writer.writeInterfaceDescription(PcapngInterfaceDescription())
        let frame = InnerFrames.tcpSyn()
        let address = writer.bytes.withUnsafeBufferPointer { $0.baseAddress }
        for index in 0..<10_000 {
            try frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: id, timestamp: UInt64(index), data: $0) }
            if writer.bytes.count > 60_000 { writer.drain { _ in } }
        }
        #expect(writer.bytes.withUnsafeBufferPointer { $0.baseAddress } == address)
    }
}
