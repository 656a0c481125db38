import PacketKit
import Testing

@Suite("pcapng packet runs (EPBs without a section, as agents send them)")
struct PcapngPacketRunTests {
    static let t0: UInt64 = 1_700_000_000_000_000_000

    /// EPBs as an agent writes them: a writer's section with `interfaces` nanosecond IDBs, then only the
    /// EPB bytes kept.
    static func run(_ packets: [(interface: UInt32, timestamp: UInt64, frame: [UInt8], flags: PcapngPacketFlags?)],
                    interfaces: Int = 2) throws -> [UInt8] {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        for _ in 0..<interfaces { try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 0)) }
        writer.removeAll()
        for packet in packets {
            try packet.frame.withUnsafeBytes { bytes in
                try writer.writeEnhancedPacket(interfaceID: packet.interface, timestamp: packet.timestamp,
                                               originalLength: packet.frame.count + 4, flags: packet.flags, data: bytes)
            }
        }
        return writer.bytes
    }

    struct Seen: Equatable {
        var interface: UInt32
        var timestamp: UInt64
        var originalLength: UInt32
        var flags: PcapngPacketFlags?
        var data: [UInt8]
    }

    /// The packets of `bytes`, and the error that stopped the scan early, if any.
    func scan(_ bytes: [UInt8]) -> (packets: [Seen], error: PcapngPacketRunError<Never>?) {
        var seen: [Seen] = []
        let outcome = bytes.withUnsafeBytes { raw in
            Result { () throws(PcapngPacketRunError<Never>) in
                try PcapngPacketRun.forEachPacket(in: raw) { packet in
                    seen.append(Seen(interface: packet.interfaceID, timestamp: packet.timestamp, originalLength: packet.originalLength,
                                     flags: packet.flags, data: Array(packet.data)))
                }
            }
        }
        if case .failure(let error) = outcome { return (seen, error) }
        return (seen, nil)
    }

    @Test("every packet comes out with its interface, nanosecond timestamp, lengths, flags and bytes")
    func readsEveryPacket() throws {
        let frames: [[UInt8]] = [InnerFrames.tcpSyn(sourcePort: 1), InnerFrames.tcpSyn(sourcePort: 2) + [9], [1, 2, 3]]
        let bytes = try Self.run([(0, Self.t0 + 1, frames[0], nil), (1, Self.t0 + 2, frames[1], PcapngPacketFlags(direction: .egress)),
                                  (0, Self.t0 + 3, frames[2], nil)])
        let (seen, error) = scan(bytes)
        #expect(error == nil)
        #expect(seen == [
            Seen(interface: 0, timestamp: Self.t0 + 1, originalLength: UInt32(frames[0].count + 4), flags: nil, data: frames[0]),
            Seen(interface: 1, timestamp: Self.t0 + 2, originalLength: UInt32(frames[1].count + 4), flags: PcapngPacketFlags(direction: .egress),
                 data: frames[1]),
            Seen(interface: 0, timestamp: Self.t0 + 3, originalLength: 7, flags: nil, data: frames[2]),
        ])
    }

    @Test("an empty run has no packets")
    func emptyRun() throws {
        let (seen, error) = scan([])
        #expect(seen.isEmpty && error == nil)
    }

    @Test("a cut-off block is an error after the packets before it were delivered")
    func truncatedBlock() throws {
        let bytes = try Self.run([(0, Self.t0, [1, 2, 3, 4], nil), (0, Self.t0 + 1, [5, 6, 7, 8], nil)])
        let (seen, error) = scan(Array(bytes.dropLast(5)))
        #expect(seen.map(\.timestamp) == [Self.t0])
        guard case .damaged(let damage)? = error else {
            Issue.record("expected a damaged run, got \(String(describing: error))")
            return
        }
        #expect(damage.offset == 36)
    }

    @Test("a captured length beyond the block is refused, never read past")
    func capturedLengthBeyondBlock() throws {
        var bytes = try Self.run([(0, Self.t0, [1, 2, 3, 4], nil)])
        bytes[20] = 200  // captured length: 200 bytes in a block with room for 4
        let (seen, error) = scan(bytes)
        #expect(seen.isEmpty)
        guard case .damaged? = error else {
            Issue.record("expected a damaged run, got \(String(describing: error))")
            return
        }
    }

    @Test("blocks of other types are skipped")
    func otherBlocksSkipped() throws {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        try writer.writeInterfaceDescription(PcapngInterfaceDescription())
        writer.removeAll()
        try writer.write(.other(type: 0x0000_0BAD, body: [1, 2, 3, 4, 5, 6, 7, 8][...]))
        try [UInt8](repeating: 7, count: 5).withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: 0, timestamp: Self.t0, data: $0) }
        let (seen, error) = scan(writer.bytes)
        #expect(seen.map(\.data) == [[7, 7, 7, 7, 7]] && error == nil)
    }

    @Test("the callback's error stops the run")
    func callbackErrorStops() throws {
        struct Enough: Error {}
        let bytes = try Self.run([(0, Self.t0, [1], nil), (0, Self.t0 + 1, [2], nil)])
        var count = 0
        let outcome = bytes.withUnsafeBytes { raw in
            Result { () throws(PcapngPacketRunError<Enough>) in
                try PcapngPacketRun.forEachPacket(in: raw) { (_: PcapngPacketRun.Packet) throws(Enough) in
                    count += 1
                    throw Enough()
                }
            }
        }
        #expect(count == 1)
        guard case .failure(.stopped) = outcome else {
            Issue.record("expected the callback's error, got \(outcome)")
            return
        }
    }
}

@Suite("pcapng packet runs: which blocks can be copied as they are")
struct PcapngPacketRunPlainBlockTests {
    /// Each block of `bytes`: whether it is plain, and whether ``PcapngPacketRun/Packet/block`` is all of it.
    func plainness(_ bytes: [UInt8]) -> [Bool] {
        var seen: [Bool] = []
        let outcome = bytes.withUnsafeBytes { raw in
            Result { () throws(PcapngPacketRunError<Never>) in
                try PcapngPacketRun.forEachPacket(in: raw) { packet in
                    #expect(packet.block.count == Int(packet.block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
                    #expect(packet.data.baseAddress == packet.block.baseAddress! + 28)
                    seen.append(packet.blockIsPlain)
                }
            }
        }
        #expect((try? outcome.get()) != nil)
        return seen
    }

    func block(_ packet: PcapngEnhancedPacket) throws -> [UInt8] {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        try writer.writeInterfaceDescription(PcapngInterfaceDescription())
        writer.removeAll()
        try writer.writeEnhancedPacket(packet)
        return writer.bytes
    }

    @Test("the writer's own blocks are plain, with or without epb_flags, at every padding")
    func writersBlocksArePlain() throws {
        for length in [0, 1, 2, 3, 4, 61] {
            let data = ArraySlice([UInt8](repeating: 0xEE, count: length))
            #expect(plainness(try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, originalLength: 9_000, data: data))) == [true])
            #expect(plainness(try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, data: data,
                                                             flags: PcapngPacketFlags(direction: .egress)))) == [true])
        }
    }

    @Test("a comment, a drop count, non-zero padding or an original length below the captured one make a block not plain")
    func whatIsNotPlain() throws {
        let data = ArraySlice([UInt8](repeating: 0xEE, count: 61))
        #expect(plainness(try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, data: data, comments: ["hi"]))) == [false])
        #expect(plainness(try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, data: data, dropCount: 1))) == [false])
        var padded = try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, data: data))
        padded[28 + 62] = 1
        #expect(plainness(padded) == [false])
        var short = try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, data: data))
        short.storeLittleEndianForTest(UInt32(10), at: 24)
        #expect(plainness(short) == [false])
        var endless = try block(PcapngEnhancedPacket(interfaceID: 0, timestamp: 5, data: data, flags: PcapngPacketFlags(rawValue: 1)))
        endless.removeSubrange(endless.count - 8..<endless.count - 4)  // epb_flags without opt_endofopt: valid, not the writer's bytes
        endless.storeLittleEndianForTest(UInt32(endless.count), at: 4)
        endless.storeLittleEndianForTest(UInt32(endless.count), at: endless.count - 4)
        #expect(plainness(endless) == [false])
    }
}

private extension Array where Element == UInt8 {
    mutating func storeLittleEndianForTest(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }
}
