import PacketKit
import TapsterSystemTestSupport
import Testing

/// A big-endian pcapng encoder for the reader tests (the writer only writes little-endian).
private struct BigEndianBlocks {
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16, into body: inout [UInt8]) { body += [UInt8(value >> 8), UInt8(value & 0xff)] }
    mutating func u32(_ value: UInt32, into body: inout [UInt8]) { body += (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    mutating func option(_ code: UInt16, _ value: [UInt8], into body: inout [UInt8]) {
        u16(code, into: &body)
        u16(UInt16(value.count), into: &body)
        body += value + Array(repeating: 0, count: (4 - value.count % 4) % 4)
    }

    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        var block: [UInt8] = []
        u32(type, into: &block)
        u32(UInt32(12 + body.count), into: &block)
        block += body
        u32(UInt32(12 + body.count), into: &block)
        bytes += block
    }
}

@Suite("pcapng reader")
struct PcapngReaderTests {
    @Test("big-endian sections are read like little-endian ones")
    func bigEndian() throws {
        var be = BigEndianBlocks()
        var shb: [UInt8] = []
        be.u32(0x1A2B_3C4D, into: &shb)
        be.u16(1, into: &shb); be.u16(0, into: &shb)
        shb += Array(repeating: 0xFF, count: 8)
        be.option(4, Array("be-writer".utf8), into: &shb)
        be.option(0, [], into: &shb)
        be.block(0x0A0D_0D0A, shb)
        var idb: [UInt8] = []
        be.u16(1, into: &idb); be.u16(0, into: &idb); be.u32(65535, into: &idb)
        be.option(2, Array("node-9/x/eth1".utf8), into: &idb)
        be.option(9, [9], into: &idb)
        be.option(11, [0] + Array("udp".utf8), into: &idb)
        be.block(1, idb)
        var epb: [UInt8] = []
        let ns: UInt64 = 1_700_000_000_987_654_321
        be.u32(0, into: &epb); be.u32(UInt32(ns >> 32), into: &epb); be.u32(UInt32(ns & 0xffff_ffff), into: &epb)
        be.u32(3, into: &epb); be.u32(60, into: &epb)
        epb += [0xAA, 0xBB, 0xCC, 0]
        be.option(2, [0, 0, 0, 2], into: &epb)
        be.block(6, epb)
        var isb: [UInt8] = []
        be.u32(0, into: &isb); be.u32(UInt32(ns >> 32), into: &isb); be.u32(UInt32(ns & 0xffff_ffff), into: &isb)
        be.option(7, [0, 0, 0, 0, 0, 0, 0, 42], into: &isb)
        be.block(5, isb)

        let blocks = try PcapngReader.readAll(be.bytes)
        try #require(blocks.count == 4)
        guard case .sectionHeader(let header) = blocks[0], case .interfaceDescription(let interface) = blocks[1],
              case .enhancedPacket(let packet) = blocks[2], case .interfaceStatistics(let statistics) = blocks[3] else {
            Issue.record("unexpected blocks \(blocks)")
            return
        }
        #expect(header.byteOrder == .bigEndian && header.userApplication == "be-writer")
        #expect(interface.name == "node-9/x/eth1" && interface.filter == "udp" && interface.snapLength == 65535)
        #expect(packet.timestamp == ns && Array(packet.data) == [0xAA, 0xBB, 0xCC] && packet.originalLength == 60)
        #expect(packet.flags?.direction == .egress)
        #expect(statistics.osDrops == 42 && statistics.timestamp == ns)

        // The merger re-encodes big-endian inputs as little-endian.
        let merged = try PcapngReader.readAll(PcapngMerger.merge([be.bytes]))
        #expect(merged.compactMap(\.packet).map { Array($0.data) } == [[0xAA, 0xBB, 0xCC]])
    }

    @Test("every truncation of a valid file is a typed error, never a crash")
    func truncation() throws {
        let (bytes, _) = try SampleCaptures.everyBlock()
        var boundaries: Set<Int> = [0]
        var framing = PcapngReader(bytes: bytes)
        while try framing.next() != nil { boundaries.insert(framing.offset) }
        for length in 1..<bytes.count {
            var reader = PcapngReader(bytes: Array(bytes[0..<length]))
            do {
                while try reader.next() != nil {}
                #expect(boundaries.contains(length), "a cut at \(length) inside a block went unnoticed")
            } catch {
                #expect(!boundaries.contains(length))
                guard case .truncated = error.kind else {
                    Issue.record("cut at \(length): \(error)")
                    continue
                }
                #expect(error.offset <= length)
            }
        }
    }

    @Test("damaged input is rejected with the reason and offset")
    func damage() throws {
        let (bytes, _) = try SampleCaptures.everyBlock()
        var classic = ClassicPcapWriter()
        classic.append([1, 2, 3], timestamp: 0)
        #expect(throws: PcapngError(.missingSectionHeader(foundBlockType: 0xA1B2_3C4D), offset: 0, blockType: 0xA1B2_3C4D)) {
            try PcapngReader.readAll(classic.bytes)
        }
        var badMagic = bytes
        badMagic[8] = 0x00
        #expect(throws: PcapngError.self) { try PcapngReader.readAll(badMagic) }
        var badTrailer = bytes
        let shbLength = Int(bytes[4]) | Int(bytes[5]) << 8
        badTrailer[shbLength - 4] &+= 4
        do {
            _ = try PcapngReader.readAll(badTrailer)
            Issue.record("a mismatched trailing length was accepted")
        } catch {
            #expect(error.kind == .mismatchedTrailingLength(leading: UInt32(shbLength), trailing: UInt32(shbLength + 4)))
            #expect(error.offset == 0)
        }
        var hugeLength = bytes
        hugeLength[shbLength + 7] = 0x7F  // the first IDB claims ~2 GiB
        #expect(throws: PcapngError.self) { try PcapngReader.readAll(hugeLength) }
    }

    @Test("random corruption never crashes the reader")
    func fuzz() throws {
        let (bytes, _) = try SampleCaptures.everyBlock()
        try FuzzRun("pcapng reader, byte corruption", cases: 3000, defaultSeed: 0x7A95_7E12_2026_1207).forEachCase { generator, _ in
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { damaged.removeLast(Int.random(in: 0..<damaged.count, using: &generator)) }
            var reader = PcapngReader(bytes: damaged)
            do { while try reader.next() != nil {} } catch {}
        }
    }

    @Test("incremental input, fed in small chunks, gives the same blocks")
    func incremental() throws {
        let (bytes, _) = try SampleCaptures.everyBlock()
        let whole = try PcapngReader.readAll(bytes)
        for chunkSize in [1, 3, 7, 64, 1000] {
            var reader = PcapngReader()
            var blocks: [PcapngBlock] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + chunkSize, bytes.count)
                reader.append(contentsOf: Array(bytes[offset..<end]))
                offset = end
                while let block = try reader.next() { blocks.append(block) }
            }
            reader.finishInput()
            #expect(try reader.next() == nil && reader.isAtEnd)
            #expect(blocks == whole, "chunks of \(chunkSize)")
        }
        var cut = PcapngReader()
        cut.append(contentsOf: Array(bytes.dropLast(2)))
        while try cut.next() != nil {}
        cut.finishInput()
        #expect(throws: PcapngError.self) { try cut.next() }
    }
}
