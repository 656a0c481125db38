import PacketKit

/// The live merger as the capture broker drives it: agents' batches of Enhanced Packet Blocks (nanoseconds, no
/// section, as a stream sink ships them), one batch per agent in turn, each walked with `PcapngPacketRun` and
/// pushed — whole (`pushRawBlock`, the pass-through path) or re-encoded from the packet's fields
/// (`pushPacket`) — then what is ready written and drained.
enum LiveMergeBenchmark {
    /// How the packets are pushed.
    enum Path: String, CaseIterable {
        case reencoded = "re-encoded (pushPacket)"
        case passedThrough = "passed through (pushRawBlock)"
    }

    /// Packets per agent batch (an agent's 20 ms upload at ~3000 packets/s).
    static let batchSize = 64

    /// Cuts each source's packets into batches as its agent would send them.
    static func batches(_ sources: [[PcapngEnhancedPacket]]) throws -> [[[UInt8]]] {
        try sources.map { packets in
            var batches: [[UInt8]] = []
            var writer = PcapngWriter(reservingCapacity: 64 << 10)
            writer.writeSectionHeader()
            try writer.writeInterfaceDescription(PcapngInterfaceDescription())
            writer.removeAll()
            for (index, packet) in packets.enumerated() {
                var packet = packet
                packet.interfaceID = 0
                try writer.writeEnhancedPacket(packet)
                if (index + 1) % batchSize == 0 || index == packets.count - 1 {
                    batches.append(writer.bytes)
                    writer.removeAll()
                }
            }
            return batches
        }
    }

    /// Merges `batches` (one source each) along `path`, handing the pcapng to `sink` in chunks of about 1 MiB;
    /// returns the packets written and how many went through whole.
    @discardableResult
    static func merge(_ batches: [[[UInt8]]], path: Path, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> (packets: Int, passedThrough: UInt64) {
        var merger = PcapngLiveMerger(reorderWindow: 500_000_000)
        var writer = PcapngWriter(reservingCapacity: 2 << 20)
        var sources: [PcapngLiveMerger.SourceID] = []
        for index in batches.indices {
            let source = merger.addSource()
            try merger.addInterface(PcapngInterfaceDescription(name: "node-\(index)/web-\(index)/eth0"), source: source)
            sources.append(source)
        }
        var blocks = 0
        for round in 0..<(batches.map(\.count).max() ?? 0) {
            for (index, source) in sources.enumerated() where round < batches[index].count {
                try push(batches[index][round], source: source, path: path, into: &merger)
            }
            blocks += try merger.writeReady(into: &writer)
            if writer.byteCount >= 1 << 20 { try writer.drain { try sink($0) } }
        }
        merger.finish()
        blocks += try merger.writeReady(into: &writer)
        try writer.drain { try sink($0) }
        return (blocks - sources.count, merger.rawBlocksKept)
    }

    private static func push(_ batch: [UInt8], source: PcapngLiveMerger.SourceID, path: Path, into merger: inout PcapngLiveMerger) throws {
        let outcome: Result<Void, PcapngPacketRunError<PcapngMergeError>> = batch.withUnsafeBytes { run in
            Result { () throws(PcapngPacketRunError<PcapngMergeError>) in
                try PcapngPacketRun.forEachPacket(in: run) { packet throws(PcapngMergeError) in
                    switch path {
                    case .passedThrough:
                        try merger.pushRawBlock(packet, source: source, interfaceID: 0)
                    case .reencoded:
                        try merger.pushPacket(source: source, interfaceID: 0, timestamp: packet.timestamp,
                                              originalLength: Int(packet.originalLength), flags: packet.flags, data: packet.data)
                    }
                }
            }
        }
        try outcome.get()
    }
}
