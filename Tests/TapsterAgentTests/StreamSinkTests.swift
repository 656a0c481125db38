import Foundation
import PacketKit
import Testing
@testable import TapsterAgent

/// The sink of a `stream`/`store` tap: packets become pcapng Enhanced Packet Blocks, handed to the tap's
/// upload queue a chunk per flush.
@Suite("Stream sink")
struct StreamSinkTests {
    /// A frame of `length` bytes, each byte its number.
    static func frame(_ number: UInt8, length: Int = 200) -> [UInt8] { [UInt8](repeating: number, count: length) }

    /// `chunk` read back after a section and `interfaces` IDBs (ns timestamps), as the broker reads it.
    static func packets(in chunk: CaptureUpload.Chunk, interfaces: Int) throws -> [PcapngEnhancedPacket] {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        for _ in 0..<interfaces { try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 128)) }
        return try PcapngReader.readAll(writer.bytes + Array(chunk.blocks)).compactMap {
            if case .enhancedPacket(let packet) = $0 { packet } else { nil }
        }
    }

    @Test("a flush hands the upload one chunk of Enhanced Packet Blocks: this source's interface id, ns timestamps, cut to the snaplen")
    func flushQueuesOneChunk() throws {
        let upload = CaptureUpload(captureID: "c", tapID: "t", interfaces: [])
        let sink = try StreamSink(upload: upload, interfaceIndex: 2, snaplen: 128)
        for number in UInt8(0)..<3 {
            Self.frame(number).withUnsafeBytes { sink.accept($0, originalLength: 200, timestampNanoseconds: 1_700_000_000_123_456_789 + UInt64(number)) }
        }
        #expect(sink.flush() == 0)
        let chunks = upload.takeAll()
        #expect(chunks.count == 1 && chunks.first?.interfaceIndex == 2)
        let packets = try Self.packets(in: try #require(chunks.first), interfaces: 3)
        #expect(packets.map(\.interfaceID) == [2, 2, 2])
        #expect(packets.map(\.timestamp) == [1_700_000_000_123_456_789, 1_700_000_000_123_456_790, 1_700_000_000_123_456_791])
        #expect(packets.map(\.originalLength) == [200, 200, 200])
        #expect(packets.map { Array($0.data) } == (0..<3).map { Self.frame($0, length: 128) })
        #expect(sink.flush() == 0 && upload.takeAll().isEmpty, "nothing pending, nothing queued")
    }

    @Test("a chunk the upload queue has no room for is refused, and flush reports its packets as dropped")
    func fullQueueDropsAndCounts() throws {
        let upload = CaptureUpload(captureID: "c", tapID: "t", interfaces: [], capacity: 300)
        let sink = try StreamSink(upload: upload, interfaceIndex: 0, snaplen: 128)
        for number in UInt8(0)..<3 {
            Self.frame(number).withUnsafeBytes { sink.accept($0, originalLength: 200, timestampNanoseconds: UInt64(number)) }
        }
        #expect(sink.flush() == 3)
        #expect(upload.takeAll().isEmpty)
    }
}
