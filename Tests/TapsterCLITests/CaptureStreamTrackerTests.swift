import Foundation
import NIOCore
import PacketKit
@testable import TapsterClient
import TapsterSystemTestSupport
import Testing

/// What `tapster capture -w` writes when the server's stream breaks off: only whole blocks, then a
/// statistics block per interface the stream described.
@Suite("Capture stream cut off")
struct CaptureStreamTrackerTests {
    /// A section with two interfaces and three packets (interfaces 0, 1, 0); where the third packet starts.
    static func stream() throws -> (bytes: [UInt8], thirdPacketAt: Int) {
        var writer = PcapngWriter()
        writer.writeSectionHeader(PcapngSectionHeader(userApplication: "Tapster"))
        try writer.writeInterfaceDescription(PcapngInterfaceDescription(name: "node-1/web-1/eth0", timestampResolution: .nanoseconds))
        try writer.writeInterfaceDescription(PcapngInterfaceDescription(name: "node-2/web-2/eth0", timestampResolution: .nanoseconds))
        let frame = [UInt8](repeating: 0xab, count: 60)
        let t: UInt64 = 1_700_000_000_000_000_000
        try frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: 0, timestamp: t, data: $0) }
        try frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: 1, timestamp: t + 1_000, data: $0) }
        let third = writer.byteCount
        try frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: 0, timestamp: t + 2_000, data: $0) }
        return (writer.bytes, third)
    }

    @Test("a stream cut in the middle of a block: only the whole blocks are written, then an ISB per interface that capinfos reads")
    func cutStreamEndsWithStatistics() async throws {
        let (bytes, third) = try Self.stream()
        let received = Array(bytes.dropLast(10))  // the third packet's block is cut
        var tracker = CaptureStreamTracker()
        var written: [UInt8] = []
        for start in stride(from: 0, to: received.count, by: 7) {
            written += tracker.take(ByteBuffer(bytes: received[start..<min(received.count, start + 7)]))
        }
        #expect(written == Array(bytes.prefix(third)), "everything up to the cut block, nothing of it")

        let closing = tracker.closingStatistics(comment: "tapster: the server went away", at: 1_700_000_001_000_000_000)
        let file = written + closing
        let blocks = try PcapngReader.readAll(file)
        let statistics = blocks.compactMap { if case .interfaceStatistics(let isb) = $0 { isb } else { nil } }
        #expect(statistics.map(\.interfaceID) == [0, 1])
        #expect(statistics.map(\.userDelivered) == [1, 1], "the packets the file holds of each interface")
        #expect(statistics.allSatisfy { $0.comments == ["tapster: the server went away"] && $0.endTime == 1_700_000_000_000_001_000 })

        try #require(WiresharkTools.available, "capinfos is needed (scripts/install-deps.sh)")
        try await WiresharkTools.withFile(file) { url in
            let info = try WiresharkTools.run("capinfos", ["-c", "-I", url.path])
            #expect(info.status == 0 && info.warnings.isEmpty, "capinfos: \(info.stderr)")
            #expect(info.stdout.contains("Number of packets:   2"), "\(info.stdout)")
            #expect(info.lines.filter { $0.contains("Number of stat entries = 1") }.count == 2, "\(info.stdout)")
        }
    }

    @Test("a stream that never began a section has nothing to close")
    func noSectionNoStatistics() {
        var tracker = CaptureStreamTracker()
        #expect(tracker.take(ByteBuffer(bytes: [0x0a, 0x0d])).isEmpty)
        #expect(!tracker.hasSection && tracker.closingStatistics(comment: "x", at: 0).isEmpty)
    }
}
