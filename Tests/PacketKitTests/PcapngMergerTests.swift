import Foundation
import PacketKit
import TapsterSystemTestSupport
import Testing

/// One merged packet, as both our reader and the reference see it.
private struct MergedPacket: Hashable, CustomStringConvertible {
    var interfaceName: String
    var timestamp: UInt64
    var data: [UInt8]
    var description: String { "\(interfaceName)@\(timestamp)" }
}

private func packets(_ bytes: [UInt8]) throws -> (packets: [MergedPacket], statistics: [(String, PcapngInterfaceStatistics)]) {
    var reader = PcapngReader(bytes: bytes)
    var packets: [MergedPacket] = []
    var statistics: [(String, PcapngInterfaceStatistics)] = []
    while let block = try reader.next() {
        if case .enhancedPacket(let packet) = block {
            packets.append(MergedPacket(interfaceName: reader.interfaces[Int(packet.interfaceID)].name ?? "",
                                        timestamp: packet.timestamp, data: Array(packet.data)))
        } else if case .interfaceStatistics(let block) = block {
            statistics.append((reader.interfaces[Int(block.interfaceID)].name ?? "", block))
        }
    }
    return (packets, statistics)
}

@Suite("pcapng merge")
struct PcapngMergerTests {
    /// Two interleaved streams with equal timestamps across them (ties) and a third that starts late.
    static func inputs() throws -> [[UInt8]] {
        [
            try SampleCaptures.stream(name: "node-1/web-1/eth0", count: 300, first: 1_000_000_000, step: 1_000, drops: 4),
            try SampleCaptures.stream(name: "node-2/db-1/eth0", count: 200, first: 1_000_000_500, step: 1_500, jitter: { $0 % 3 == 0 ? 500 : 0 }),
            try SampleCaptures.stream(name: "node-3/web-2/eth0", count: 50, first: 1_000_100_000, step: 7),
        ]
    }

    @Test("timestamps never decrease, every packet and ISB is carried with its interface")
    func ordered() throws {
        let inputs = try Self.inputs()
        let merged = try PcapngMerger.merge(inputs)
        let (output, statistics) = try packets(merged)
        let expected = try inputs.flatMap { try packets($0).packets }
        #expect(output.count == expected.count)
        #expect(zip(output, output.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        #expect(Set(output) == Set(expected))
        #expect(statistics.map(\.0) == ["node-3/web-2/eth0", "node-2/db-1/eth0", "node-1/web-1/eth0"], "ties: the later input first, as mergecap")
        #expect(statistics.first { $0.0 == "node-1/web-1/eth0" }?.1.osDrops == 4)
    }

    @Test("the same packets in the same order as `mergecap -w`", .enabled(if: WiresharkTools.available, "mergecap is not installed"))
    func likeMergecap() throws {
        let inputs = try Self.inputs()
        let ours = try packets(PcapngMerger.merge(inputs)).packets
        let reference = try ScratchDirectory.with(label: "packetkit") { directory in
            var paths: [String] = []
            for (index, input) in inputs.enumerated() {
                let file = directory.appendingPathComponent("in-\(index).pcapng")
                try Data(input).write(to: file)
                paths.append(file.path)
            }
            let output = directory.appendingPathComponent("merged.pcapng")
            let run = try WiresharkTools.run("mergecap", ["-w", output.path] + paths)
            #expect(run.status == 0 && run.warnings.isEmpty, "mergecap: \(run.stderr)")
            return try packets(Array(try Data(contentsOf: output))).packets
        }
        #expect(ours.count == reference.count)
        let firstDifference = zip(ours, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first difference at \(firstDifference ?? -1): \(firstDifference.map { (ours[$0], reference[$0]) } as Any)")
    }

    @Test("our merged file reads cleanly in capinfos, with one ISB per interface", .enabled(if: WiresharkTools.available, "capinfos is not installed"))
    func mergedFileIsValid() throws {
        let merged = try PcapngMerger.merge(try Self.inputs())
        try ScratchDirectory.with(label: "packetkit") { directory in
            let file = directory.appendingPathComponent("merged.pcapng")
            try Data(merged).write(to: file)
            let info = try WiresharkTools.run("capinfos", ["-M", file.path])
            #expect(info.status == 0 && info.warnings.isEmpty)
            #expect(info.stdout.contains("Number of packets:   550"))
            #expect(info.stdout.contains("Strict time order:   True"))
            #expect(info.stdout.components(separatedBy: "Number of stat entries = 1").count - 1 == 3)
        }
    }

    @Test("chunked merging gives the same bytes as merging at once")
    func chunked() throws {
        let inputs = try Self.inputs()
        var merger = PcapngMerger(inputs: inputs)
        var writer = PcapngWriter(reservingCapacity: 4096)
        var output: [UInt8] = []
        while try merger.merge(into: &writer, untilBufferHolds: 4096) {
            writer.drain { output.append(contentsOf: $0) }
        }
        writer.drain { output.append(contentsOf: $0) }
        #expect(output == (try PcapngMerger.merge(inputs)))
        #expect(merger.packetsWritten == 550)
    }

    @Test("a damaged input is reported with its index")
    func damagedInput() throws {
        var inputs = try Self.inputs()
        inputs[1].removeLast(10)
        do {
            _ = try PcapngMerger.merge(inputs)
            Issue.record("a truncated input was accepted")
        } catch {
            guard case .input(let index, let cause) = error.kind, case .truncated = cause.kind else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(index == 1)
        }
    }
}
