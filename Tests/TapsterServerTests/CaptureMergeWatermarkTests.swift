import Foundation
import PacketKit
import Testing
import TapsterWire
@testable import TapsterServer

/// An idle host's watermark in the capture merge: the other hosts' packets before it are written at once, and
/// a packet that then arrives behind what was written is written too, and counted as out of order.
@Suite("Capture merge with watermarks")
struct CaptureMergeWatermarkTests {
    static let t0: UInt64 = 1_800_000_000_000_000_000

    /// A batch from `agent` describing its eth0 (index 0) and carrying packets at `timestamps`.
    static func batch(_ agent: String, packets timestamps: [UInt64], describe: Bool, watermark: UInt64 = 0) throws -> Tapster_Agent_V1_PacketBatch {
        try AgentPacketBatch.make(agent, timestamps.map { PcapngEnhancedPacket(interfaceID: 0, timestamp: $0, data: ArraySlice(repeating: 0xAB, count: 60)) },
                                  describe: describe, watermark: watermark)
    }

    /// The merged file so far, as a reader of the live stream has it.
    final class Output {
        var bytes: [UInt8] = []

        /// Every packet's timestamp written so far, after draining what the merge has ready.
        func packetTimes(_ merge: inout CaptureMerge) throws -> [UInt64] {
            try merge.drain { self.bytes.append(contentsOf: $0) }
            return try PcapngReader.readAll(bytes).compactMap(\.packet).map(\.timestamp)
        }
    }

    @Test func anIdleHostsWatermarkReleasesTheOtherHostsPacketsBeforeItWithoutWaitingOutTheWindow() throws {
        var merge = CaptureMerge(budget: 1 << 20, packetLimit: nil, byteLimit: nil, reorderWindow: 500_000_000, startTime: Self.t0,
                                 expectedAgents: ["node-1", "node-2"])
        let output = Output()
        merge.ingest(agent: "node-2", try Self.batch("node-2", packets: [], describe: true), queued: 0, now: Self.t0)
        merge.ingest(agent: "node-1", try Self.batch("node-1", packets: [Self.t0 + 10_000_000, Self.t0 + 30_000_000], describe: true),
                     queued: 0, now: Self.t0 + 40_000_000)
        #expect(try output.packetTimes(&merge) == [], "node-2 has said nothing of the time yet, and the window has not passed")
        merge.ingest(agent: "node-2", try Self.batch("node-2", packets: [], describe: false, watermark: Self.t0 + 20_000_000),
                     queued: 0, now: Self.t0 + 45_000_000)
        #expect(try output.packetTimes(&merge) == [Self.t0 + 10_000_000])
        #expect(merge.summary(reason: nil, at: Date()).outOfOrderPackets == 0)
    }

    @Test func aPacketArrivingBehindWhatWasWrittenIsWrittenAndCountedOutOfOrder() throws {
        var merge = CaptureMerge(budget: 1 << 20, packetLimit: nil, byteLimit: nil, reorderWindow: 500_000_000, startTime: Self.t0,
                                 expectedAgents: ["node-1", "node-2"])
        let output = Output()
        merge.ingest(agent: "node-2", try Self.batch("node-2", packets: [], describe: true), queued: 0, now: Self.t0)
        merge.ingest(agent: "node-1", try Self.batch("node-1", packets: [Self.t0 + 10_000_000], describe: true), queued: 0, now: Self.t0)
        // A watermark that overstated how far node-2 had sent (its clock ahead, say) …
        merge.ingest(agent: "node-2", try Self.batch("node-2", packets: [], describe: false, watermark: Self.t0 + 20_000_000),
                     queued: 0, now: Self.t0 + 1)
        #expect(try output.packetTimes(&merge) == [Self.t0 + 10_000_000])
        // … and then a packet of its own from before what was written: kept, written, counted.
        merge.ingest(agent: "node-2", try Self.batch("node-2", packets: [Self.t0 + 5_000_000], describe: false), queued: 0, now: Self.t0 + 2)
        #expect(try output.packetTimes(&merge) == [Self.t0 + 10_000_000, Self.t0 + 5_000_000])
        #expect(merge.summary(reason: nil, at: Date()).outOfOrderPackets == 1)
    }
}
