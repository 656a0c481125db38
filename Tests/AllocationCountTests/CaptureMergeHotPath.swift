import Foundation
import PacketKit
import TapsterAllocationCounting
import TapsterWire
@testable import TapsterServer

/// Server merge → pcapng writer through the capture broker's own ``CaptureMerge``: two agents' batches (64
/// packets each, the `blocks` written as their stream sinks write them, timestamps interleaved) ingested and
/// drained, each agent's watermark at the end of a run. The batch messages are reused, their blocks
/// overwritten in place: decoding them from gRPC is per message, not per packet, and not counted here. Every
/// block is plain and within the snaplen, so the merge passes each through; a run in which one was re-encoded
/// fails (it would not measure the broker's path).
final class CaptureMergeHotPath: HotPath {
    let name = "server merge → pcapng writer (CaptureMerge, 2 agents, blocks passed through)"
    private static let agentNames = ["host-0", "host-1"]
    private var merge = CaptureMerge(budget: 64 << 20, packetLimit: nil, byteLimit: nil, reorderWindow: 500_000_000,
                                     startTime: CapturedFrame.firstTimestamp, expectedAgents: Set(agentNames))
    private var writers: [PcapngWriter] = []
    private var batches: [Tapster_Agent_V1_PacketBatch] = []
    private var watermarks: [Tapster_Agent_V1_PacketBatch] = []
    private var clocks: [UInt64] = [CapturedFrame.firstTimestamp, CapturedFrame.firstTimestamp + 500]
    /// Bytes of pcapng drained.
    private(set) var bytesWritten = 0

    /// One packet's block in the output: 28 bytes of header, the frame (a multiple of 4), 4 of trailer.
    static let blockLength = 32 + CapturedFrame.bytes.count

    /// Describes each agent's eth0 with a first, empty batch.
    init() throws {
        for name in Self.agentNames {
            var writer = PcapngWriter(reservingCapacity: 64 << 10)
            writer.writeSectionHeader()
            try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 262_144))
            writer.removeAll()
            writers.append(writer)
            var batch = Tapster_Agent_V1_PacketBatch()
            batch.captureID = "c"
            var interface = Tapster_Agent_V1_CaptureInterface()
            interface.name = "\(name)/web/eth0"
            interface.linkType = 1
            interface.snaplen = 262_144
            batch.interfaces = [interface]
            merge.ingest(agent: name, batch, queued: 0, now: clocks[0])
            batch.interfaces = []
            batches.append(batch)
            watermarks.append(batch)
        }
    }

    func run(packets: Int) throws(HotPathError) -> Int {
        let before = bytesWritten
        let passed = merge.packetsPassedThrough
        var left = packets
        CapturedFrame.bytes.withUnsafeBytes { frame in
            while left > 0 {
                // A short last round is shared between the agents, so that neither runs ahead of the other's watermark.
                let round = min(left, 128)
                send(round - round / 2, from: 0, frame: frame)
                send(round / 2, from: 1, frame: frame)
                left -= round
                drain()
            }
        }
        // Each agent's watermark: nothing before its next packet will come from it, so every packet ingested goes out.
        for agent in 0..<2 {
            watermarks[agent].watermarkNs = clocks[agent] &+ 1_000
            merge.ingest(agent: Self.agentNames[agent], watermarks[agent], queued: 0, now: clocks[agent])
        }
        drain()
        guard merge.packetsPassedThrough - passed == UInt64(packets) else {
            throw HotPathError(path: name, reason: "\(merge.packetsPassedThrough - passed) of \(packets) blocks passed through, the rest re-encoded")
        }
        return (bytesWritten - before) / Self.blockLength
    }

    /// Agent `agent`'s next batch of `count` packets, ingested.
    private func send(_ count: Int, from agent: Int, frame: UnsafeRawBufferPointer) {
        fill(agent, with: count, of: frame)
        merge.ingest(agent: Self.agentNames[agent], batches[agent], queued: 0, now: clocks[agent])
    }

    /// Writes `count` packets as agent `agent`'s next batch, into its reused message when the size is the same.
    private func fill(_ agent: Int, with count: Int, of frame: UnsafeRawBufferPointer) {
        writers[agent].removeAll()
        for _ in 0..<count {
            clocks[agent] &+= 1_000
            try? writers[agent].writeEnhancedPacket(interfaceID: 0, timestamp: clocks[agent], originalLength: frame.count, data: frame)
        }
        if batches[agent].blocks.count == writers[agent].byteCount {
            writers[agent].bytes.withUnsafeBytes { written in
                batches[agent].blocks.withUnsafeMutableBytes { $0.copyMemory(from: written) }
            }
        } else {
            batches[agent].blocks = Data(writers[agent].bytes)
        }
    }

    private func drain() {
        try? merge.drain { bytesWritten += $0.count }
    }
}
