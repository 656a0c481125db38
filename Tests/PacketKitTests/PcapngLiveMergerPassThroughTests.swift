import Foundation
import PacketKit
import TapsterSystemTestSupport
import Testing

/// Agents' Enhanced Packet Blocks pushed whole (``PcapngLiveMerger/pushRawBlock(_:source:interfaceID:)``): the
/// file is the very file the re-encoding path writes, and a block that needs any change is re-encoded.
@Suite("pcapng live merge passing agents' blocks through")
struct PcapngLiveMergerPassThroughTests {
    static let t0: UInt64 = 1_700_000_000_000_000_007
    static let comment = "agent says: host node-9 is down"

    /// One agent's batch as its stream sink ships it: EPBs of interface 0, nanoseconds, no section around them.
    static func run(_ packets: [PcapngEnhancedPacket]) throws -> [UInt8] {
        var writer = PcapngWriter(reservingCapacity: 1 << 16)
        writer.writeSectionHeader()
        try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: 262_144))
        writer.removeAll()
        for packet in packets { try writer.writeEnhancedPacket(packet) }
        return writer.bytes
    }

    /// Packets of every padding (0…3 bytes), with and without flags, an original length beyond the captured one.
    static func packets(agent: Int, count: Int) -> [PcapngEnhancedPacket] {
        (0..<count).map { index in
            let length = [0, 1, 2, 3, 60, 66, 1514][index % 7]
            let data = ArraySlice([UInt8](repeating: UInt8(truncatingIfNeeded: agent * 64 + index), count: length))
            return PcapngEnhancedPacket(interfaceID: 0, timestamp: t0 + UInt64(index) * 1_000 + UInt64(agent) * 500,
                                        originalLength: UInt32(length + (index % 3 == 0 ? 100 : 0)), data: data,
                                        flags: index % 2 == 0 ? PcapngPacketFlags(direction: .ingress) : nil)
        }
    }

    enum Path { case reencoded, passedThrough }

    /// Merges `runs` (one source each, interfaces described with `interface`), pushing every packet as `path`
    /// does, writing after each batch; returns the file and how many blocks were kept whole.
    static func merge(_ runs: [[[UInt8]]], path: Path, interface: PcapngInterfaceDescription = PcapngInterfaceDescription(snapLength: 262_144),
                      interfaces: [PcapngInterfaceDescription]? = nil, tolerateDamage: Bool = false) throws -> (file: [UInt8], kept: UInt64) {
        var merger = PcapngLiveMerger(reorderWindow: 500_000_000)
        var writer = PcapngWriter()
        var sources: [PcapngLiveMerger.SourceID] = []
        for index in runs.indices {
            let source = merger.addSource()
            var described = interfaces?[index] ?? interface
            described.name = "node-\(index)/web/eth0"
            try merger.addInterface(described, source: source)
            sources.append(source)
        }
        for batch in 0..<(runs.map(\.count).max() ?? 0) {
            for (index, source) in sources.enumerated() where batch < runs[index].count {
                let outcome: Result<Void, PcapngPacketRunError<PcapngMergeError>> = runs[index][batch].withUnsafeBytes { bytes in
                    Result { () throws(PcapngPacketRunError<PcapngMergeError>) in
                        try PcapngPacketRun.forEachPacket(in: bytes) { packet throws(PcapngMergeError) in
                            switch path {
                            case .passedThrough:
                                try merger.pushRawBlock(packet, source: source, interfaceID: packet.interfaceID)
                            case .reencoded:
                                try merger.pushPacket(source: source, interfaceID: packet.interfaceID, timestamp: packet.timestamp,
                                                      originalLength: Int(packet.originalLength), flags: packet.flags, data: packet.data)
                            }
                        }
                    }
                }
                // A damaged run (or one naming an interface its source never described) stops at the damage, alike on both paths.
                if case .failure(let error) = outcome, !tolerateDamage { throw error }
            }
            try merger.writeReady(into: &writer)
        }
        merger.finish()
        try merger.writeReady(into: &writer)
        return (writer.bytes, merger.rawBlocksKept)
    }

    /// Two agents, three batches each, timestamps interleaved across them.
    static func twoAgents() throws -> [[[UInt8]]] {
        try (0..<2).map { agent in
            let all = packets(agent: agent, count: 21)
            return try stride(from: 0, to: all.count, by: 7).map { try run(Array(all[$0..<$0 + 7])) }
        }
    }

    @Test("blocks passed through make the very file the re-encoding path makes, which tshark and capinfos read")
    func sameFileAsReencoded() async throws {
        let runs = try Self.twoAgents()
        let passed = try Self.merge(runs, path: .passedThrough)
        let reencoded = try Self.merge(runs, path: .reencoded)
        #expect(passed.kept == 42, "every block kept whole")
        #expect(reencoded.kept == 0)
        #expect(passed.file == reencoded.file)

        // The same packets, in timestamp order, on the interface of their source (agent 1's local 0 is output 1).
        let written = try PcapngReader.readAll(passed.file).compactMap(\.packet)
        let expected = (0..<2).flatMap { agent in Self.packets(agent: agent, count: 21).map { ($0, UInt32(agent)) } }
            .sorted { $0.0.timestamp < $1.0.timestamp }
        #expect(written.map(\.timestamp) == expected.map(\.0.timestamp))
        #expect(written.map(\.interfaceID) == expected.map(\.1))
        #expect(written.map(\.data) == expected.map(\.0.data))
        #expect(written.map(\.originalLength) == expected.map(\.0.originalLength))
        #expect(written.map(\.flags) == expected.map(\.0.flags))

        guard WiresharkTools.available else { return }
        try await WiresharkTools.withFile(passed.file) { file in
            let rows = try WiresharkTools.fields(file, ["frame.interface_name", "frame.time_epoch", "frame.len", "frame.cap_len"])
            #expect(rows == expected.map { packet, interface in
                ["node-\(interface)/web/eth0", PcapngToolAgreementTests.epoch(packet.timestamp), String(packet.originalLength),
                 String(packet.data.count)]
            })
            let info = try WiresharkTools.run("capinfos", ["-M", file.path])
            #expect(info.status == 0 && info.warnings.isEmpty, "capinfos: \(info.stderr)")
            #expect(info.stdout.contains("Number of packets:   42"))
            #expect(info.stdout.contains("Strict time order:   True"))
        }
    }

    @Test("nextReady hands out the same packets for blocks kept whole as for re-encoded ones")
    func nextReadySamePackets() throws {
        func blocks(_ path: Path) throws -> [PcapngBlock] {
            var merger = PcapngLiveMerger(reorderWindow: 500_000_000)
            let source = merger.addSource()
            try merger.addInterface(PcapngInterfaceDescription(snapLength: 262_144), source: source)
            let outcome: Result<Void, PcapngPacketRunError<PcapngMergeError>> = try Self.run(Self.packets(agent: 0, count: 14)).withUnsafeBytes { bytes in
                Result { () throws(PcapngPacketRunError<PcapngMergeError>) in
                    try PcapngPacketRun.forEachPacket(in: bytes) { packet throws(PcapngMergeError) in
                        if path == .passedThrough {
                            try merger.pushRawBlock(packet, source: source, interfaceID: 0)
                        } else {
                            try merger.pushPacket(source: source, interfaceID: 0, timestamp: packet.timestamp,
                                                  originalLength: Int(packet.originalLength), flags: packet.flags, data: packet.data)
                        }
                    }
                }
            }
            try outcome.get()
            #expect(merger.bufferedBytes == Self.packets(agent: 0, count: 14).reduce(0) { $0 + $1.data.count },
                    "a block kept whole counts only its packet's bytes")
            merger.finish()
            var out: [PcapngBlock] = []
            while let block = merger.nextReady() { out.append(block) }
            #expect(merger.bufferedBytes == 0)
            return out
        }
        let passed = try blocks(.passedThrough), reencoded = try blocks(.reencoded)
        #expect(passed.count == 15 && passed == reencoded)
    }

    /// One agent's single batch of `packet` beside a plain one, merged both ways.
    static func mergeOne(_ packet: PcapngEnhancedPacket, interface: PcapngInterfaceDescription = PcapngInterfaceDescription(snapLength: 262_144))
        throws -> (passed: (file: [UInt8], kept: UInt64), reencoded: (file: [UInt8], kept: UInt64)) {
        let plain = PcapngEnhancedPacket(interfaceID: 0, timestamp: packet.timestamp + 1, data: ArraySlice(repeating: 7, count: 40))
        let runs = [[try run([packet, plain])]]
        return (try merge(runs, path: .passedThrough, interface: interface), try merge(runs, path: .reencoded, interface: interface))
    }

    @Test("a block with an agent's opt_comment is re-encoded, and the comment is not in the file")
    func commentIsReencodedAway() async throws {
        let commented = PcapngEnhancedPacket(interfaceID: 0, timestamp: Self.t0, data: ArraySlice(repeating: 1, count: 60),
                                             flags: PcapngPacketFlags(direction: .egress), comments: [Self.comment])
        let (passed, reencoded) = try Self.mergeOne(commented)
        #expect(passed.kept == 1, "only the plain packet beside it was kept whole")
        #expect(passed.file == reencoded.file)
        #expect(!Self.contains(passed.file, Self.comment), "the agent's comment reached the file")
        let written = try PcapngReader.readAll(passed.file).compactMap(\.packet)
        #expect(written.map(\.comments) == [[], []])
        #expect(written.first?.flags == PcapngPacketFlags(direction: .egress), "its epb_flags kept")
        guard WiresharkTools.available else { return }
        try await WiresharkTools.withFile(passed.file) { file in
            let comments = try WiresharkTools.fields(file, ["frame.number", "frame.comment"])
            #expect(comments == [["1", ""], ["2", ""]])
        }
    }

    @Test("a block with a drop count is re-encoded: only epb_flags pass")
    func dropCountIsReencoded() throws {
        let counted = PcapngEnhancedPacket(interfaceID: 0, timestamp: Self.t0, data: ArraySlice(repeating: 1, count: 60), dropCount: 3)
        let (passed, reencoded) = try Self.mergeOne(counted)
        #expect(passed.kept == 1 && passed.file == reencoded.file)
        #expect(try PcapngReader.readAll(passed.file).compactMap(\.packet).map(\.dropCount) == [nil, nil])
    }

    @Test("a block whose packet is longer than the interface's snaplen is re-encoded, cut to it")
    func longerThanSnaplenIsReencoded() throws {
        let long = PcapngEnhancedPacket(interfaceID: 0, timestamp: Self.t0, data: ArraySlice(repeating: 1, count: 200))
        let (passed, reencoded) = try Self.mergeOne(long, interface: PcapngInterfaceDescription(snapLength: 64))
        #expect(passed.kept == 1 && passed.file == reencoded.file)
        let written = try PcapngReader.readAll(passed.file).compactMap(\.packet)
        #expect(written.map(\.data.count) == [64, 40] && written.map(\.originalLength) == [200, 40])
    }

    @Test("an interface whose timestamps are not nanoseconds gets its blocks re-encoded in its own units")
    func otherResolutionIsReencoded() throws {
        let packet = PcapngEnhancedPacket(interfaceID: 0, timestamp: Self.t0, data: ArraySlice(repeating: 1, count: 60))
        let (passed, reencoded) = try Self.mergeOne(packet, interface: PcapngInterfaceDescription(snapLength: 262_144, timestampResolution: .microseconds))
        #expect(passed.kept == 0 && passed.file == reencoded.file)
        #expect(try PcapngReader.readAll(passed.file).compactMap(\.packet).map(\.timestamp) == [Self.t0 / 1_000 * 1_000, (Self.t0 + 1) / 1_000 * 1_000])
    }

    @Test("fuzzing: any mix of options, paddings, lengths, snaplens, resolutions and damage writes the same file along both paths")
    func fuzzSameFile() throws {
        let fuzz = FuzzRun("live merger pass-through", cases: 400, defaultSeed: 0x7A95_7E12_2026_1206)
        var kept: UInt64 = 0, packets = 0
        try fuzz.forEachCase { random, fuzzCase in
            let snapLengths: [UInt32] = [0, 16, 61, 64, 262_144]
            let sources = 1 + random.index(3)
            let interfaces = (0..<sources).map { _ in
                PcapngInterfaceDescription(snapLength: snapLengths[random.index(snapLengths.count)],
                                           timestampResolution: random.oneIn(5) ? .microseconds : .nanoseconds,
                                           timestampOffsetSeconds: random.oneIn(8) ? Int64(random.index(3)) : nil)
            }
            var mutated = false
            let runs = try (0..<sources).map { _ in
                try (0..<1 + random.index(4)).map { _ in
                    let packets = (0..<random.index(12)).map { _ in
                        let data = ArraySlice(random.bytes(random.index(100)))
                        return PcapngEnhancedPacket(interfaceID: 0, timestamp: Self.t0 &+ UInt64(random.index(10_000_000)),
                                                    originalLength: UInt32(data.count + (random.oneIn(2) ? 0 : random.index(2000))), data: data,
                                                    flags: random.oneIn(2) ? PcapngPacketFlags(rawValue: UInt32(random.index(4))) : nil,
                                                    dropCount: random.oneIn(8) ? UInt64(random.index(9)) : nil,
                                                    comments: random.oneIn(6) ? [Self.comment] : [])
                    }
                    var bytes = try Self.run(packets)
                    if random.oneIn(6) { Self.disturb(&bytes, &random) }
                    guard random.oneIn(12) else { return bytes }
                    mutated = true  // a mutation may make an option's bytes part of a packet's: then they are its data
                    return random.mutate(bytes)
                }
            }
            let passed = try Self.merge(runs, path: .passedThrough, interfaces: interfaces, tolerateDamage: true)
            let reencoded = try Self.merge(runs, path: .reencoded, interfaces: interfaces, tolerateDamage: true)
            #expect(passed.file == reencoded.file, "\(fuzzCase)")
            #expect(mutated || !Self.contains(passed.file, Self.comment), "\(fuzzCase)")
            kept += passed.kept
            packets += try PcapngReader.readAll(passed.file).compactMap(\.packet).count
        }
        #expect(kept > 0 && kept < UInt64(packets), "both paths taken: \(kept) of \(packets) packets passed through")
    }

    /// Makes one block of a run valid but not the writer's: non-zero padding, or an original length below the captured one.
    static func disturb(_ bytes: inout [UInt8], _ random: inout FuzzGenerator) {
        guard bytes.count >= 32 else { return }
        let captured = Int(bytes[20]) | Int(bytes[21]) << 8
        if random.oneIn(2), captured % 4 != 0 {
            bytes[28 + captured] = 0xFF
        } else if captured > 0 {
            bytes[24] = 0; bytes[25] = 0; bytes[26] = 0; bytes[27] = 0
        }
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...bytes.count - needle.count).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
