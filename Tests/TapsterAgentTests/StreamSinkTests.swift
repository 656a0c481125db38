import Foundation
import PacketKit
import Testing
@testable import TapsterAgent

/// The sink of a `stream`/`store` tap: packets become pcapng Enhanced Packet Blocks, copied into the tap's
/// upload queue on each flush.
@Suite("Stream sink")
struct StreamSinkTests {
    /// A frame of `length` bytes, each byte its number.
    static func frame(_ number: UInt8, length: Int = 200) -> [UInt8] { [UInt8](repeating: number, count: length) }

    /// `blocks` read back after a section and `interfaces` IDBs (ns timestamps), as the broker reads them.
    static func packets(in blocks: [UInt8], interfaces: Int) throws -> [PcapngEnhancedPacket] {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        for _ in 0..<interfaces { try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 128)) }
        return try PcapngReader.readAll(writer.bytes + blocks).compactMap {
            if case .enhancedPacket(let packet) = $0 { packet } else { nil }
        }
    }

    @Test("a flush queues Enhanced Packet Blocks: this source's interface id, ns timestamps, cut to the snaplen")
    func flushQueuesBlocks() throws {
        let upload = CaptureUpload(captureID: "c", tapID: "t", interfaces: [])
        let sink = try StreamSink(upload: upload, interfaceIndex: 2, snaplen: 128)
        for number in UInt8(0)..<3 {
            Self.frame(number).withUnsafeBytes { sink.accept($0, originalLength: 200, timestampNanoseconds: 1_700_000_000_123_456_789 + UInt64(number)) }
        }
        #expect(sink.flush() == 0)
        var taken: [UInt8] = []
        upload.take(into: &taken)
        let packets = try Self.packets(in: taken, interfaces: 3)
        #expect(packets.map(\.interfaceID) == [2, 2, 2])
        #expect(packets.map(\.timestamp) == [1_700_000_000_123_456_789, 1_700_000_000_123_456_790, 1_700_000_000_123_456_791])
        #expect(packets.map(\.originalLength) == [200, 200, 200])
        #expect(packets.map { Array($0.data) } == (0..<3).map { Self.frame($0, length: 128) })
        #expect(sink.flush() == 0)
        upload.take(into: &taken)
        #expect(taken.isEmpty, "nothing pending, nothing queued")
    }

    @Test("flushes of two sources queue in order, and a take empties the queue for the next ones")
    func flushesQueueInOrder() throws {
        let upload = CaptureUpload(captureID: "c", tapID: "t", interfaces: [])
        let eth0 = try StreamSink(upload: upload, interfaceIndex: 0, snaplen: 128)
        let eth1 = try StreamSink(upload: upload, interfaceIndex: 1, snaplen: 128)
        var taken: [UInt8] = []
        for round in UInt8(0)..<3 {
            Self.frame(round).withUnsafeBytes { eth0.accept($0, originalLength: 200, timestampNanoseconds: UInt64(round) * 10) }
            Self.frame(round).withUnsafeBytes { eth1.accept($0, originalLength: 200, timestampNanoseconds: UInt64(round) * 10 + 5) }
            #expect(eth0.flush() == 0 && eth1.flush() == 0)
            upload.take(into: &taken)
            #expect(try Self.packets(in: taken, interfaces: 2).map(\.interfaceID) == [0, 1], "round \(round)")
            #expect(try Self.packets(in: taken, interfaces: 2).map(\.timestamp) == [UInt64(round) * 10, UInt64(round) * 10 + 5])
        }
    }

    @Test("blocks the upload queue has no room for are refused, and flush reports their packets as dropped")
    func fullQueueDropsAndCounts() throws {
        let upload = CaptureUpload(captureID: "c", tapID: "t", interfaces: [], capacity: 300)
        let sink = try StreamSink(upload: upload, interfaceIndex: 0, snaplen: 128)
        for number in UInt8(0)..<3 {
            Self.frame(number).withUnsafeBytes { sink.accept($0, originalLength: 200, timestampNanoseconds: UInt64(number)) }
        }
        #expect(sink.flush() == 3)
        var taken: [UInt8] = []
        upload.take(into: &taken)
        #expect(taken.isEmpty)
    }

    @Test("what the uploader takes goes out in batches of whole blocks, each under the limit unless one block alone is larger")
    func batchesAreCutAtBlockBoundaries() throws {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 4096))
        writer.removeAll()
        for (index, length) in [100, 100, 100, 1000, 100].enumerated() {
            try Self.frame(UInt8(index), length: length).withUnsafeBytes {
                try writer.writeEnhancedPacket(interfaceID: 0, timestamp: UInt64(index), data: $0)
            }
        }
        let blocks = writer.bytes
        func pieces(_ blocks: [UInt8], maximumBytes: Int = PacketBatchPieces.maximumBytes) -> [Range<Int>] {
            var cursor = PacketBatchPieces()
            var all: [Range<Int>] = []
            while let piece = cursor.next(in: blocks, maximumBytes: maximumBytes) { all.append(piece) }
            return all
        }
        // Blocks of 132, 132, 132, 1032, 132 bytes.
        let ranges = pieces(blocks, maximumBytes: 300)
        #expect(ranges == [0..<264, 264..<396, 396..<1428, 1428..<1560])
        #expect(pieces(blocks) == [0..<blocks.count])
        #expect(pieces([]) == [])
        var damaged = blocks
        damaged[264 + 4] = 0xFF
        #expect(pieces(damaged, maximumBytes: 300) == [0..<blocks.count], "a damaged length: the rest goes in one piece")
        let pieces = try ranges.map { try Self.packets(in: Array(blocks[$0]), interfaces: 1).map(\.timestamp) }
        #expect(pieces == [[0, 1], [2], [3], [4]])
    }
}
