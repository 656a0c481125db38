import PacketKit
import TapsterSystemTestSupport
import Testing

@Suite("pcapng live merge with a reorder window")
struct PcapngLiveMergerTests {
    static let window: UInt64 = 500_000_000
    static let t0: UInt64 = 1_700_000_000_000_000_000

    func push(_ merger: inout PcapngLiveMerger, _ source: PcapngLiveMerger.SourceID, at timestamp: UInt64, byte: UInt8 = 0) throws {
        try [byte, 1, 2].withUnsafeBytes { try merger.pushPacket(source: source, interfaceID: 0, timestamp: timestamp, data: $0) }
    }

    func drain(_ merger: inout PcapngLiveMerger) -> [PcapngBlock] {
        var blocks: [PcapngBlock] = []
        while let block = merger.nextReady() { blocks.append(block) }
        return blocks
    }

    func timestamps(_ blocks: [PcapngBlock]) -> [UInt64] {
        blocks.compactMap(\.packet).map(\.timestamp)
    }

    @Test("interfaces first; a packet waits until every open source has passed it")
    func exactOrder() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window)
        let a = merger.addSource(), b = merger.addSource()
        #expect(try merger.addInterface(PcapngInterfaceDescription(name: "a/eth0"), source: a) == 0)
        #expect(try merger.addInterface(PcapngInterfaceDescription(name: "b/eth0"), source: b) == 1)
        try push(&merger, a, at: Self.t0 + 100)
        try push(&merger, a, at: Self.t0 + 300)
        let first = drain(&merger)
        #expect(first.count == 2 && timestamps(first).isEmpty, "only the IDBs: b has said nothing yet")
        try push(&merger, b, at: Self.t0 + 200)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 100, Self.t0 + 200])
        try push(&merger, b, at: Self.t0 + 400)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 300])
        merger.closeSource(a)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 400])
        #expect(merger.bufferedCount == 0 && merger.latePackets == 0)
    }

    @Test("an idle source's watermark releases the others' packets before it at once, not after the window")
    func watermarkOfAnIdleSource() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window)
        let busy = merger.addSource(), idle = merger.addSource()
        _ = try merger.addInterface(PcapngInterfaceDescription(name: "a/eth0"), source: busy)
        _ = try merger.addInterface(PcapngInterfaceDescription(name: "b/eth0"), source: idle)
        try push(&merger, busy, at: Self.t0 + 100)
        try push(&merger, busy, at: Self.t0 + 300)
        _ = drain(&merger)
        merger.advance(idle, to: Self.t0 + 200)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 100], "up to the watermark, no further")
        merger.advance(idle, to: Self.t0 + 150)
        #expect(timestamps(drain(&merger)).isEmpty, "an older watermark takes nothing back and releases nothing")
        merger.advance(idle, to: Self.t0 + 301)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 300])
        // A packet at the watermark itself is still in order.
        try push(&merger, idle, at: Self.t0 + 301)
        try push(&merger, busy, at: Self.t0 + 400)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 301])
        #expect(merger.latePackets == 0)
    }

    @Test("a silent source holds the others back by at most the window")
    func windowBound() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window)
        let a = merger.addSource(), silent = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(), source: a)
        try merger.addInterface(PcapngInterfaceDescription(), source: silent)
        _ = drain(&merger)
        try push(&merger, a, at: Self.t0)
        try push(&merger, a, at: Self.t0 + Self.window - 1)
        #expect(timestamps(drain(&merger)).isEmpty)
        try push(&merger, a, at: Self.t0 + Self.window)
        #expect(timestamps(drain(&merger)) == [Self.t0], "newest − window reached t0")
        merger.advanceClock(to: Self.t0 + 2 * Self.window)
        #expect(timestamps(drain(&merger)) == [Self.t0 + Self.window - 1, Self.t0 + Self.window], "the clock flushes quiet periods")
    }

    @Test("a packet later than the window is released at once and counted, never dropped")
    func latePacket() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window)
        let a = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(), source: a)
        try push(&merger, a, at: Self.t0 + 10_000_000_000)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 10_000_000_000])
        try push(&merger, a, at: Self.t0 + 1)
        #expect(timestamps(drain(&merger)) == [Self.t0 + 1])
        #expect(merger.latePackets == 1)
    }

    @Test("the window is at most 500 ms")
    func windowLimit() {
        #expect(PcapngLiveMerger(reorderWindow: 5_000_000_000).reorderWindow == 500_000_000)
    }

    @Test("jittered streams from three sources come out ordered, complete, and like the batch merge")
    func jittered() throws {
        let inputs = [
            try SampleCaptures.stream(name: "s0", count: 400, first: Self.t0, step: 1_000_000),
            try SampleCaptures.stream(name: "s1", count: 300, first: Self.t0 + 333, step: 1_300_000, drops: 2),
            try SampleCaptures.stream(name: "s2", count: 500, first: Self.t0 + 777, step: 800_000),
        ]
        var merger = PcapngLiveMerger(reorderWindow: Self.window)
        var readers = inputs.map { PcapngReader(bytes: $0) }
        let sources = inputs.map { _ in merger.addSource() }
        var writer = PcapngWriter()
        // Feed the sources unevenly (bursts of 1–40 blocks), flushing after each burst, as a broker would.
        let seed: UInt64 = 0x7A95_7E12_2026_1208
        print("PcapngLiveMergerTests.jittered: seed 0x\(String(seed, radix: 16))")
        var generator = FuzzGenerator(seed: seed)
        var open = Set(inputs.indices)
        while !open.isEmpty {
            let index = open.sorted()[generator.index(open.count)]  // sorted: a Set's order differs from run to run
            for _ in 0..<Int.random(in: 1...40, using: &generator) {
                guard let block = try readers[index].next() else {
                    merger.closeSource(sources[index])
                    open.remove(index)
                    break
                }
                try merger.push(block, source: sources[index])
            }
            try merger.writeReady(into: &writer)
        }
        merger.finish()
        try merger.writeReady(into: &writer)
        #expect(merger.bufferedCount == 0 && merger.bufferedBytes == 0)

        let live = try PcapngReader.readAll(writer.bytes)
        let batch = try PcapngReader.readAll(PcapngMerger.merge(inputs))
        let livePackets = live.compactMap(\.packet), batchPackets = batch.compactMap(\.packet)
        #expect(livePackets.count == 1200 && merger.latePackets == 0)
        #expect(zip(livePackets, livePackets.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        #expect(livePackets.map { [$0.timestamp] + $0.data.map(UInt64.init) } == batchPackets.map { [$0.timestamp] + $0.data.map(UInt64.init) })
        let statistics = live.compactMap { block -> PcapngInterfaceStatistics? in
            if case .interfaceStatistics(let statistics) = block { return statistics }
            return nil
        }
        #expect(statistics.count == 3 && statistics.contains { $0.osDrops == 2 })
    }

    @Test("the packet arena compacts under sustained load without corrupting packets")
    func sustained() throws {
        var merger = PcapngLiveMerger(reorderWindow: 1_000_000)
        let a = merger.addSource(), b = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(), source: a)
        try merger.addInterface(PcapngInterfaceDescription(), source: b)
        var writer = PcapngWriter()
        var expected: [(UInt64, UInt8)] = []
        for index in 0..<40_000 {
            let source = index % 3 == 0 ? b : a
            let timestamp = Self.t0 + UInt64(index) * 1_000 + (index % 5 == 0 ? 400_000 : 0)
            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 180)
            try payload.withUnsafeBytes { try merger.pushPacket(source: source, interfaceID: 0, timestamp: timestamp, data: $0) }
            expected.append((timestamp, UInt8(truncatingIfNeeded: index)))
            if index % 97 == 0 {
                try merger.writeReady(into: &writer)
            }
        }
        merger.finish()
        try merger.writeReady(into: &writer)
        let out = try PcapngReader.readAll(writer.bytes).compactMap(\.packet)
        #expect(out.count == expected.count)
        #expect(out.allSatisfy { packet in packet.data.count == 180 && packet.data.allSatisfy { $0 == packet.data.first! } })
        let sortedExpected = expected.sorted { $0.0 < $1.0 }.map(\.0)
        #expect(out.map(\.timestamp) == sortedExpected || merger.latePackets > 0)
        #expect(Set(out.map { "\($0.timestamp)-\($0.data.first!)" }) == Set(expected.map { "\($0.0)-\($0.1)" }))
    }

    @Test("unknown sources and interfaces are typed errors")
    func errors() throws {
        var merger = PcapngLiveMerger()
        let a = merger.addSource()
        #expect(throws: PcapngMergeError(.unknownInterface(source: 0, id: 0, known: 0))) { try push(&merger, a, at: 1) }
        merger.closeSource(a)
        #expect(throws: PcapngMergeError(.sourceClosed(0))) { try merger.addInterface(PcapngInterfaceDescription(), source: a) }
    }
}

@Suite("pcapng live merge with sources that join late")
struct PcapngLiveMergerJoiningTests {
    static let window: UInt64 = 500_000_000
    static let t0: UInt64 = 1_700_000_000_000_000_000

    func push(_ merger: inout PcapngLiveMerger, _ source: PcapngLiveMerger.SourceID, at timestamp: UInt64) throws {
        try [UInt8(0), 1, 2].withUnsafeBytes { try merger.pushPacket(source: source, interfaceID: 0, timestamp: timestamp, data: $0) }
    }

    func timestamps(_ merger: inout PcapngLiveMerger) -> [UInt64] {
        var out: [UInt64] = []
        while let block = merger.nextReady() {
            if case .enhancedPacket(let packet) = block { out.append(packet.timestamp) }
        }
        return out
    }

    @Test("a source added within the window still gets its earlier packets merged in order")
    func lateSourceIsMergedInOrder() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window, sourcesMayJoin: true)
        let a = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(name: "a"), source: a)
        try push(&merger, a, at: Self.t0 + 200)
        #expect(timestamps(&merger).isEmpty, "a alone has passed it, but another source may still join")
        let b = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(name: "b"), source: b)
        try push(&merger, b, at: Self.t0 + 100)
        merger.advanceClock(to: Self.t0 + 200 + Self.window)
        #expect(timestamps(&merger) == [Self.t0 + 100, Self.t0 + 200])
        #expect(merger.latePackets == 0)
    }

    @Test("without sourcesMayJoin, the only source's packets go at once (and a late joiner's earlier packets are late)")
    func defaultReleasesAtOnce() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window)
        let a = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(name: "a"), source: a)
        try push(&merger, a, at: Self.t0 + 200)
        #expect(timestamps(&merger) == [Self.t0 + 200])
        let b = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(name: "b"), source: b)
        try push(&merger, b, at: Self.t0 + 100)
        #expect(timestamps(&merger) == [Self.t0 + 100])
        #expect(merger.latePackets == 1)
    }

    @Test("closing every source releases everything, joining or not")
    func closingReleases() throws {
        var merger = PcapngLiveMerger(reorderWindow: Self.window, sourcesMayJoin: true)
        let a = merger.addSource()
        try merger.addInterface(PcapngInterfaceDescription(name: "a"), source: a)
        try push(&merger, a, at: Self.t0)
        merger.closeSource(a)
        #expect(timestamps(&merger) == [Self.t0])
    }
}
