import PacketKit

/// Server merge → pcapng writer, as the capture broker runs it for every agent batch: two agents' runs of
/// Enhanced Packet Blocks (written as their stream sinks write them, 64 packets per batch, timestamps
/// interleaved) walked with ``PcapngPacketRun``, pushed into a ``PcapngLiveMerger`` whole (the pass-through
/// path: each block kept as it came and written with its interface id replaced), written in order into a
/// ``PcapngWriter`` and drained, with each agent's watermark at the end of a run. A run in which a block was
/// re-encoded instead fails: it would not measure the path the broker takes.
public final class MergeHotPath: HotPath {
    public let name = "server merge → pcapng writer (2 agents, PcapngLiveMerger, blocks passed through)"
    private var agents: [PcapngWriter] = []
    private var merger = PcapngLiveMerger(reorderWindow: PcapngLiveMerger.maximumReorderWindow)
    private var sources: [PcapngLiveMerger.SourceID] = []
    private var output = PcapngWriter(reservingCapacity: 64 << 10)
    /// Each agent's last timestamp; the second agent's run half a packet behind the first's.
    private var clocks: [UInt64] = [CapturedFrame.firstTimestamp, CapturedFrame.firstTimestamp + 500]
    /// Bytes of pcapng drained, so the writing cannot be optimised away.
    public private(set) var bytesWritten = 0

    /// Packets per agent batch.
    static let batch = 64

    /// Sets up the two agents' sources and interfaces.
    public init() throws(HotPathError) {
        do {
            for index in 0..<2 {
                var agent = PcapngWriter(reservingCapacity: 64 << 10)
                // The agent's writer numbers its interface 0, as a stream sink's does; its section is not sent.
                agent.writeSectionHeader()
                try agent.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 262_144))
                agent.removeAll()
                agents.append(agent)
                let source = merger.addSource()
                try merger.addInterface(PcapngInterfaceDescription(snapLength: 262_144, name: "host-\(index)/web/eth0",
                                                                   timestampResolution: .nanoseconds), source: source)
                sources.append(source)
            }
        } catch {
            throw HotPathError(path: name, reason: "\(error)")
        }
    }

    public func run(packets: Int) throws(HotPathError) -> Int {
        let kept = merger.rawBlocksKept
        // A Result, not a typed-throwing closure: Swift 6.3's IRGen crashes on one passed to `withUnsafeBytes`.
        let outcome: Result<Int, PcapngMergeError> = CapturedFrame.bytes.withUnsafeBytes { frame in
            do throws(PcapngMergeError) { return .success(try push(packets, frame: frame)) } catch { return .failure(error) }
        }
        let written: Int
        do {
            written = try outcome.get()
        } catch {
            throw HotPathError(path: name, reason: "\(error)")
        }
        guard merger.rawBlocksKept - kept == UInt64(packets) else {
            throw HotPathError(path: name, reason: "\(merger.rawBlocksKept - kept) of \(packets) blocks passed through, the rest re-encoded")
        }
        return written
    }

    /// Pushes `packets` packets, 64 per agent batch in turn, writing what is ready after each pair of batches;
    /// returns the packets written.
    private func push(_ packets: Int, frame: UnsafeRawBufferPointer) throws(PcapngMergeError) -> Int {
        var written = 0
        var left = packets
        while left > 0 {
            // A short last round is shared between the agents, so that neither runs ahead of the other's watermark.
            let round = min(left, 2 * Self.batch)
            try deliver(round - round / 2, from: 0, frame: frame)
            try deliver(round / 2, from: 1, frame: frame)
            left -= round
            written += try writeReady()
        }
        // Each agent's watermark: nothing before its next packet will come from it, so every packet pushed goes out.
        for agent in 0..<2 { merger.advance(sources[agent], to: clocks[agent] &+ 1_000) }
        return written + (try writeReady())
    }

    /// One agent batch: written by the agent, walked and pushed by the server.
    private func deliver(_ count: Int, from agent: Int, frame: UnsafeRawBufferPointer) throws(PcapngMergeError) {
        agents[agent].removeAll()
        for _ in 0..<count {
            clocks[agent] &+= 1_000
            do {
                try agents[agent].writeEnhancedPacket(interfaceID: 0, timestamp: clocks[agent], originalLength: frame.count, data: frame)
            } catch {
                throw PcapngMergeError(.output(error))
            }
        }
        let source = sources[agent]
        let outcome: Result<Void, PcapngPacketRunError<PcapngMergeError>> = agents[agent].bytes.withUnsafeBytes { run in
            Result { () throws(PcapngPacketRunError<PcapngMergeError>) in
                try PcapngPacketRun.forEachPacket(in: run) { packet throws(PcapngMergeError) in
                    try merger.pushRawBlock(packet, source: source, interfaceID: packet.interfaceID)
                }
            }
        }
        switch outcome {
        case .success: break
        case .failure(.stopped(let error)): throw error
        case .failure(.damaged(let error)): throw PcapngMergeError(.input(index: agent, error))
        }
    }

    /// Writes what the merger released and drains it; returns the packets written.
    private func writeReady() throws(PcapngMergeError) -> Int {
        let blocks: Int
        do {
            blocks = try merger.writeReady(into: &output)
        } catch {
            throw PcapngMergeError(.output(error))
        }
        output.drain { bytesWritten += $0.count }
        return blocks
    }
}
