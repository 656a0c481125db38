import Foundation
import PacketKit
import Testing
import TapsterWire
@testable import TapsterServer

/// The capture merge writes an agent's Enhanced Packet Block as it came only where the server has nothing to
/// change in it: not a packet it cuts to the target's snaplen, not the packet that carries the note of a host's
/// absence, not a block with an agent's own comment (which must never reach the file).
@Suite("Capture merge passing agents' blocks through")
struct CaptureMergePassThroughTests {
    static let t0: UInt64 = 1_800_000_000_000_000_000
    static let agentComment = "agent node-1 vouches: node-2 was never absent"

    static func batch(_ agent: String, _ packets: [PcapngEnhancedPacket], describe: Bool) throws -> Tapster_Agent_V1_PacketBatch {
        try AgentPacketBatch.make(agent, packets, describe: describe)
    }

    static func packet(at timestamp: UInt64, length: Int = 100, comments: [String] = []) -> PcapngEnhancedPacket {
        PcapngEnhancedPacket(interfaceID: 0, timestamp: timestamp, data: ArraySlice(repeating: 0xAB, count: length),
                             flags: PcapngPacketFlags(direction: .ingress), comments: comments)
    }

    static func merge(snapLength: UInt32? = nil) -> CaptureMerge {
        CaptureMerge(budget: 1 << 20, packetLimit: nil, byteLimit: nil, reorderWindow: 500_000_000, startTime: t0,
                     expectedAgents: ["node-1"], snapLength: snapLength)
    }

    static func finish(_ merge: inout CaptureMerge, at now: UInt64) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try merge.finish(at: now)
        try merge.drain { bytes.append(contentsOf: $0) }
        return bytes
    }

    @Test func plainBlocksPassThroughAndAnAgentsCommentIsReencodedAwayNeverReachingTheFile() throws {
        var merge = Self.merge()
        merge.ingest(agent: "node-1", try Self.batch("node-1", [
            Self.packet(at: Self.t0 + 1), Self.packet(at: Self.t0 + 2, comments: [Self.agentComment]), Self.packet(at: Self.t0 + 3, length: 3),
        ], describe: true), queued: 0, now: Self.t0)
        let file = try Self.finish(&merge, at: Self.t0 + 10)
        #expect(merge.packetsPassedThrough == 2 && merge.packets == 3)
        let packets = try PcapngReader.readAll(file).compactMap(\.packet)
        #expect(packets.map(\.timestamp) == [Self.t0 + 1, Self.t0 + 2, Self.t0 + 3])
        #expect(packets.map(\.comments) == [[], [], []])
        #expect(packets.allSatisfy { $0.flags == PcapngPacketFlags(direction: .ingress) })
        #expect(!String(decoding: file, as: UTF8.self).contains(Self.agentComment))
    }

    @Test func aPacketCutToTheTargetsSnaplenIsReencodedAndOneWithinItPassesThrough() throws {
        var merge = Self.merge(snapLength: 64)
        merge.ingest(agent: "node-1", try Self.batch("node-1", [Self.packet(at: Self.t0 + 1, length: 100), Self.packet(at: Self.t0 + 2, length: 64)],
                                                     describe: true), queued: 0, now: Self.t0)
        let file = try Self.finish(&merge, at: Self.t0 + 10)
        #expect(merge.packetsPassedThrough == 1)
        let packets = try PcapngReader.readAll(file).compactMap(\.packet)
        #expect(packets.map(\.data.count) == [64, 64] && packets.map(\.originalLength) == [100, 64])
    }

    @Test func theFirstPacketAfterAHostsAbsenceCarriesTheServersNoteAndIsReencodedTheNextPassesThrough() throws {
        var merge = Self.merge()
        merge.ingest(agent: "node-1", try Self.batch("node-1", [Self.packet(at: Self.t0 + 1)], describe: true), queued: 0, now: Self.t0)
        // A new stream describing eth0 again without the earlier one having ended: the agent was cut off.
        merge.ingest(agent: "node-1", try Self.batch("node-1", [Self.packet(at: Self.t0 + 5_000_000_000), Self.packet(at: Self.t0 + 5_000_000_001)],
                                                     describe: true), queued: 0, now: Self.t0 + 5_000_000_000)
        let file = try Self.finish(&merge, at: Self.t0 + 6_000_000_000)
        #expect(merge.packetsPassedThrough == 2, "the first packet and the one after the note")
        let comments = try PcapngReader.readAll(file).compactMap(\.packet).map(\.comments)
        #expect(comments.count == 3 && comments[0].isEmpty && comments[2].isEmpty)
        #expect(comments[1].count == 1 && comments[1][0].hasPrefix("tapster: host node-1 was absent from "))
    }
}
