import PacketKit
import TapsterSystemTestSupport
import Testing

@Suite("pcapng live merger under fuzzing")
struct FuzzPcapngLiveMergerTests {
    @Test("any interleaving of damaged sources, unknown interfaces and closed sources yields a valid pcapng with every accepted packet")
    func randomIngest() throws {
        let run = FuzzRun("pcapng live merger", cases: 1500)
        try run.forEachCase { random, fuzzCase in
            var merger = PcapngLiveMerger(reorderWindow: UInt64(random.index(1_000_000_000)), sourcesMayJoin: random.oneIn(2))
            var output = PcapngWriter(reservingCapacity: 4096)
            var sources: [(id: PcapngLiveMerger.SourceID, reader: PcapngReader, stream: [UInt8], fed: Int)] = []
            for _ in 0..<1 + random.index(3) {
                let stream = random.oneIn(3) ? random.mutate(try FuzzPcapngSamples.stream(&random)) : try FuzzPcapngSamples.stream(&random)
                sources.append((merger.addSource(), PcapngReader(), stream, 0))
            }
            var accepted = 0
            var clock: UInt64 = 1_700_000_000_000_000_000
            for _ in 0..<40 {
                let pick = random.index(sources.count)
                switch random.index(10) {
                case 0:
                    // A packet straight from the caller, for an interface the source may not have.
                    let data = random.bytes(random.index(80))
                    let (source, interface) = (sources[pick].id, UInt32(random.index(4)))
                    let timestamp = clock &+ UInt64(random.index(2_000_000_000)) &- 1_000_000_000
                    let outcome: Result<Void, PcapngMergeError> = data.withUnsafeBytes { bytes in
                        Result { () throws(PcapngMergeError) in
                            try merger.pushPacket(source: source, interfaceID: interface, timestamp: timestamp, data: bytes)
                        }
                    }
                    switch outcome {
                    case .success: accepted += 1
                    case .failure(let error): #expect(Self.isSourceProblem(error), "\(fuzzCase): \(error)")
                    }
                case 1:
                    merger.closeSource(sources[pick].id)
                case 2:
                    clock &+= UInt64(random.index(1_000_000_000))
                    merger.advanceClock(to: clock)
                case 3:
                    do throws(PcapngMergeError) {
                        try merger.pushStatistics(PcapngInterfaceStatistics(interfaceID: UInt32(random.index(4)), timestamp: clock), source: sources[pick].id)
                    } catch {
                        #expect(Self.isSourceProblem(error), "\(fuzzCase): \(error)")
                    }
                default:
                    // The next chunk of the source's (possibly damaged) pcapng stream, block by block.
                    var source = sources[pick]
                    let chunk = min(source.stream.count - source.fed, random.index(120))
                    source.reader.append(contentsOf: Array(source.stream[source.fed..<source.fed + chunk]))
                    source.fed += chunk
                    do throws(PcapngError) {
                        while let block = try source.reader.next() {
                            do throws(PcapngMergeError) {
                                try merger.push(block, source: source.id)
                                if case .enhancedPacket = block { accepted += 1 }
                            } catch {
                                #expect(Self.isSourceProblem(error), "\(fuzzCase): \(error)")
                            }
                        }
                    } catch {
                        source.fed = source.stream.count  // a damaged stream ends its source, as the broker ends it
                        merger.closeSource(source.id)
                    }
                    sources[pick] = source
                }
                _ = try merger.writeReady(into: &output)
            }
            merger.finish()
            _ = try merger.writeReady(into: &output)
            #expect(merger.bufferedCount == 0 && merger.bufferedBytes == 0, "\(fuzzCase)")
            let blocks = try PcapngReader.readAll(output.bytes)
            let packets = blocks.filter { if case .enhancedPacket = $0 { true } else { false } }.count
            #expect(packets == accepted, "\(fuzzCase)")
        }
    }

    @Test("an empty packet (captured length 0) buffered behind others is written after they empty the arena")
    func emptyPacketAfterArenaEmptied() throws {
        var merger = PcapngLiveMerger(reorderWindow: 100)
        let agent = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(name: "node-1/web/eth0"), source: agent)
        for (timestamp, data) in [(UInt64(1_000), [UInt8](repeating: 0xAB, count: 10)), (2_000, [])] {
            let outcome: Result<Void, PcapngMergeError> = data.withUnsafeBytes { bytes in
                Result { () throws(PcapngMergeError) in try merger.pushPacket(source: agent, interfaceID: 0, timestamp: timestamp, data: bytes) }
            }
            try outcome.get()
        }
        merger.finish()
        var writer = PcapngWriter()
        try merger.writeReady(into: &writer)
        let packets = try PcapngReader.readAll(writer.bytes).compactMap { block -> PcapngEnhancedPacket? in
            if case .enhancedPacket(let packet) = block { packet } else { nil }
        }
        #expect(packets.map(\.timestamp) == [1_000, 2_000])
        #expect(packets.map(\.data.count) == [10, 0])
    }

    static func isSourceProblem(_ error: PcapngMergeError) -> Bool {
        switch error.kind {
        case .unknownInterface, .sourceClosed, .unknownSource: true
        case .input, .output: false
        }
    }
}
