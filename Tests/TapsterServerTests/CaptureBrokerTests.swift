import Foundation
import Logging
import NIOCore
import PacketKit
import Synchronization
import TapsterCore
import TapsterObjectStore
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterWire
import Testing

/// The capture broker on its own: synthetic agents' batches (real protocol messages) in, one pcapng
/// out, checked with PacketKit's reader and with Wireshark's tools.
@Suite struct CaptureBrokerTests {
    /// A broker with a test recorder, on a test clock.
    struct Rig {
        let broker: CaptureBroker
        let recorder = TestRecorder()
        let clock = TestClock()

        /// `rejoinGrace` is `drainGrace` unless given.
        init(budget: Int = CaptureSettings.defaultBufferBudget, readerGrace: Duration = .seconds(30), drainGrace: Duration = .seconds(2),
             rejoinGrace: Duration? = nil, objectStore: (any ObjectStore)? = nil, totalBudget: Int? = nil, storeFreeSpaceFloor: Int64 = 0) {
            let clock = self.clock
            var settings = CaptureSettings(bufferBudget: budget, readerGrace: readerGrace, drainGrace: drainGrace, objectStore: objectStore)
            settings.rejoinGrace = rejoinGrace ?? drainGrace
            settings.totalBufferBudget = totalBudget
            settings.storeFreeSpaceFloor = storeFreeSpaceFloor
            broker = CaptureBroker(settings: settings, clock: { clock.now }, logger: Logger(label: "capture-broker-test"))
        }

        func start(_ id: String = Identifier.make(), mode: CaptureMode = .stream, seconds: TimeInterval = 60, packetLimit: UInt64? = nil,
                   objectKey: String? = nil, tags: [String: String] = [:], expectedAgents: Set<String> = [],
                   snapLength: UInt32? = nil) async -> String {
            await broker.connect(recorder)
            await broker.begin(CaptureStart(id: id, mode: mode, deadline: clock.now.addingTimeInterval(seconds), packetLimit: packetLimit,
                                            objectKey: objectKey, tags: tags, expectedAgents: expectedAgents, snapLength: snapLength))
            return id
        }

        /// Starts a streamed capture (as ``start(_:mode:seconds:packetLimit:objectKey:tags:expectedAgents:)``) and
        /// becomes its reader: its id, and everything the reader gets, to the end of the stream.
        func startReading(_ id: String = Identifier.make(), seconds: TimeInterval = 60, packetLimit: UInt64? = nil,
                          expectedAgents: Set<String> = [], snapLength: UInt32? = nil) async throws -> (id: String, output: Task<[UInt8], Never>) {
            let id = await start(id, seconds: seconds, packetLimit: packetLimit, expectedAgents: expectedAgents, snapLength: snapLength)
            let reader = try await broker.reader(for: id)
            return (id, Task { await CaptureBrokerTests.readAll(reader) })
        }

        var nanos: UInt64 { clock.now.unixNanoseconds }
    }

    /// Everything a reader gets, to the end of the stream.
    static func readAll(_ reader: CaptureReader) async -> [UInt8] {
        var bytes: [UInt8] = []
        for await chunk in reader.bytes.ignoringErrors() { bytes += chunk.readableBytesView }
        return bytes
    }

    static func packets(_ blocks: [PcapngBlock]) -> [PcapngEnhancedPacket] {
        blocks.compactMap { if case .enhancedPacket(let packet) = $0 { packet } else { nil } }
    }

    static func interfaces(_ blocks: [PcapngBlock]) -> [PcapngInterfaceDescription] {
        blocks.compactMap { if case .interfaceDescription(let interface) = $0 { interface } else { nil } }
    }

    static func statistics(_ blocks: [PcapngBlock]) -> [PcapngInterfaceStatistics] {
        blocks.compactMap { if case .interfaceStatistics(let statistics) = $0 { statistics } else { nil } }
    }

    /// Two hosts, one web workload each, packets 1 ms apart interleaved across the hosts, in three batches
    /// each, then each host's last batch.
    static func twoHosts(_ rig: Rig, _ id: String, packetsPerHost: Int = 30) async throws -> (sent: [[UInt8]], kernelDrops: UInt64) {
        var node1 = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0", filter: "udp")])
        var node2 = SyntheticAgent(host: "node-2", captureID: id, interfaces: [.init(index: 0, name: "node-2/web-2/eth0", filter: "udp")])
        node2.kernelDrops[0] = 3
        let t0 = rig.nanos
        var sent: [[UInt8]] = []
        for round in 0..<3 {
            let numbers = (round * packetsPerHost / 3)..<((round + 1) * packetsPerHost / 3)
            let one = numbers.map { (interface: UInt32(0), timestamp: t0 + UInt64($0) * 2_000_000, frame: SyntheticAgent.frame(host: 1, number: UInt32($0))) }
            let two = numbers.map { (interface: UInt32(0), timestamp: t0 + UInt64($0) * 2_000_000 + 1_000_000,
                                     frame: SyntheticAgent.frame(host: 2, number: UInt32($0))) }
            sent += one.map(\.frame) + two.map(\.frame)
            // Host 2's batch arrives first: the merge must still put host 1's earlier packets first.
            await rig.broker.ingest(agent: "node-2", batch: try node2.batch(two))
            await rig.broker.ingest(agent: "node-1", batch: try node1.batch(one))
        }
        await rig.broker.ingest(agent: "node-1", batch: try node1.batch([], last: true))
        await rig.broker.ingest(agent: "node-2", batch: try node2.batch([], last: true))
        // Every agent has finished; after the drain grace (no other agent joined) the capture ends.
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        return (sent, 3)
    }

    @Test("two hosts' batches become one pcapng: an IDB per host interface, packets in timestamp order, an ISB per interface")
    func twoHostsMergeIntoOnePcapng() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        let (sent, _) = try await Self.twoHosts(rig, id)
        let bytes = await output.value
        let blocks = try PcapngReader.readAll(bytes)

        let interfaces = Self.interfaces(blocks)
        #expect(interfaces.map(\.name) == ["node-2/web-2/eth0", "node-1/web-1/eth0"], "in the order the hosts first sent")
        #expect(interfaces.allSatisfy { $0.filter == "udp" && $0.timestampResolution == .nanoseconds })
        let packets = Self.packets(blocks)
        #expect(packets.count == 60)
        #expect(zip(packets, packets.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        #expect(Set(packets.map { Array($0.data) }) == Set(sent))
        #expect(packets.prefix(4).map(\.interfaceID) == [1, 0, 1, 0], "node-1's packets are 1 ms earlier than node-2's")
        let statistics = Self.statistics(blocks)
        #expect(statistics.map(\.interfaceID) == [0, 1])
        #expect(statistics.map(\.received) == [33, 30], "node-2's interface received its 30 captured packets and the 3 its kernel dropped")
        #expect(statistics.map(\.interfaceDrops) == [3, 0], "node-2's kernel drops")
        #expect(statistics.map(\.userDelivered) == [30, 30])
        #expect(blocks.last.map { if case .interfaceStatistics = $0 { true } else { false } } == true, "the ISBs end the file")

        let finished = try #require(await rig.recorder.finishedCalls.first)
        #expect(finished.summary.reason == .agentsFinished)
        #expect(finished.summary.packets == 60 && finished.summary.drops == 3 && finished.summary.size == Int64(bytes.count))
        #expect(await rig.recorder.endedReasons == [.agentsFinished])
        #expect(await rig.broker.runningCaptures.isEmpty)
    }

    @Test("Wireshark's tools read the merged capture without a warning: 2 interfaces named by host, chronological, ISB counts")
    func wiresharkAgrees() async throws {
        try #require(WiresharkTools.available, "tshark and capinfos are needed (scripts/install-deps.sh)")
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        _ = try await Self.twoHosts(rig, id)
        let bytes = await output.value
        try await WiresharkTools.withFile(bytes) { file in
            let info = try WiresharkTools.run("capinfos", ["-c", "-I", "-o", "-M", file.path])
            #expect(info.status == 0 && info.warnings.isEmpty, "capinfos: \(info.stderr)")
            let facts = info.lines.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            #expect(facts.contains("Number of packets: 60"), "\(info.stdout)")
            #expect(facts.contains("Strict time order: True"), "\(info.stdout)")
            #expect(facts.contains("Number of interfaces in file: 2"), "\(info.stdout)")
            #expect(facts.contains("Name = node-1/web-1/eth0") && facts.contains("Name = node-2/web-2/eth0"), "\(info.stdout)")
            #expect(facts.filter { $0 == "Number of stat entries = 1" }.count == 2, "one ISB per interface: \(info.stdout)")
            #expect(facts.filter { $0 == "Time precision = nanoseconds (9)" }.count == 2, "\(info.stdout)")
            let rows = try WiresharkTools.fields(file, ["frame.interface_name", "frame.time_epoch", "udp.srcport"])
            #expect(rows.count == 60)
            #expect(Set(rows.map { $0[0] }) == ["node-1/web-1/eth0", "node-2/web-2/eth0"])
            let times = rows.compactMap { Decimal(string: $0[1]) }
            #expect(times.count == 60 && zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        }
    }

    /// A streamed capture that node-1's and node-2's agents (one web workload each) send one probe frame at a
    /// time to, for watching what its merge holds back.
    struct MergeProbe {
        let rig: Rig
        let session: CaptureSession
        /// Everything its reader gets, to the end of the stream.
        let output: Task<[UInt8], Never>
        private var agents: [String: SyntheticAgent]
        /// The bytes one probe frame takes in the merge.
        static let onePacket = SyntheticAgent.frame(host: 1, number: 0).count + CaptureMerge.blockOverhead

        init(_ rig: Rig, expectedAgents: Set<String> = []) async throws {
            self.rig = rig
            let (id, output) = try await rig.startReading(expectedAgents: expectedAgents)
            self.output = output
            session = try #require(await rig.broker.session(id))
            agents = Dictionary(uniqueKeysWithValues: ["node-1", "node-2"].enumerated().map { index, host in
                (host, SyntheticAgent(host: host, captureID: id, interfaces: [.init(index: 0, name: "\(host)/web-\(index + 1)/eth0")]))
            })
        }

        /// Bytes the merge holds (not yet released to the output).
        var held: Int { get async { await session.heldBytes - session.queuedBytes } }

        /// `host` sends a probe frame captured at `timestamp`.
        mutating func send(_ host: String, at timestamp: UInt64) async throws {
            let batch = try agents[host]!.batch([(0, timestamp, SyntheticAgent.frame(host: 1, number: 0))])
            await rig.broker.ingest(agent: host, batch: batch)
        }

        /// Both agents send their last batch and the capture ends; the packets its reader got.
        mutating func finish() async throws -> [PcapngEnhancedPacket] {
            for host in ["node-1", "node-2"] { await rig.broker.ingest(agent: host, batch: try agents[host]!.batch([], last: true)) }
            rig.clock.advance(by: 3)
            await rig.broker.tick()
            return CaptureBrokerTests.packets(try PcapngReader.readAll(await output.value))
        }
    }

    @Test("after the join period a packet waits only until every host has sent a later one, not the whole reorder window")
    func packetsWaitForTheSlowestHostAfterTheJoinPeriod() async throws {
        let rig = Rig()
        var probe = try await MergeProbe(rig)
        let one = MergeProbe.onePacket

        // Within the join period another host could still bring earlier packets: both wait.
        var t = rig.nanos
        try await probe.send("node-1", at: t)
        try await probe.send("node-2", at: t + 1_000_000)
        #expect(await probe.held == 2 * one)

        rig.clock.advance(by: 2.1)
        await rig.broker.tick()
        #expect(await probe.held == 0, "the window has passed")

        // Afterwards node-1's packet goes as soon as node-2 has sent a later one; node-2's waits for node-1.
        t = rig.nanos
        try await probe.send("node-1", at: t)
        #expect(await probe.held == one, "node-2 has not passed it yet")
        try await probe.send("node-2", at: t + 1_000_000)
        #expect(await probe.held == one, "node-1's went; node-2's waits for node-1 to pass it")

        let packets = try await probe.finish()
        #expect(packets.count == 4 && zip(packets, packets.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
    }

    @Test("once every expected agent has opened its stream, packets stop waiting out the window, join period or not")
    func expectedAgentsEndTheJoinPeriod() async throws {
        let rig = Rig()
        var probe = try await MergeProbe(rig, expectedAgents: ["node-1", "node-2"])
        let t = rig.nanos
        try await probe.send("node-1", at: t)
        #expect(await probe.held == MergeProbe.onePacket, "node-2 may still bring earlier packets")
        try await probe.send("node-2", at: t + 1_000_000)
        #expect(await probe.held == MergeProbe.onePacket, "both expected agents are in: node-1's packet went, node-2's waits for node-1")
        #expect(try await probe.finish().map(\.timestamp) == [t, t + 1_000_000])
    }

    @Test("packets an agent reported capturing that have not arrived when the capture closes are counted as server drops")
    func capturedButNotArrivedIsCountedAsDropped() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        agent.received[0] = 3  // captured, still on their way when the capture closes
        let t = rig.nanos
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, t, SyntheticAgent.frame(host: 1, number: 0)),
                                                                         (0, t + 1, SyntheticAgent.frame(host: 1, number: 1))]))
        await rig.broker.tapEnded(id, reason: .stopped)
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        let blocks = try PcapngReader.readAll(await output.value)
        let isb = try #require(Self.statistics(blocks).first)
        #expect(Self.packets(blocks).count == 2)
        #expect(isb.received == 5 && isb.interfaceDrops == 3)
        let summary = try #require(await rig.recorder.finishedCalls.first?.summary)
        #expect(summary.interfaces.first?.serverDrops == 3 && summary.drops == 3)
    }

    @Test("a stalled reader never makes the capture hold more than its budget; what does not fit is dropped and counted in the ISB")
    func stalledReaderStaysWithinBudget() async throws {
        let budget = 256 << 10
        let rig = Rig(budget: budget)
        let id = await rig.start()
        let reader = try await rig.broker.reader(for: id)  // attached, but reads nothing until the end
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        let t0 = rig.nanos
        let total = 4_000
        for round in 0..<40 {
            let batch = (0..<100).map { offset in
                let number = round * 100 + offset
                return (interface: UInt32(0), timestamp: t0 + UInt64(number) * 1_000_000, frame: SyntheticAgent.frame(host: 1, number: UInt32(number), size: 1000))
            }
            await rig.broker.ingest(agent: "node-1", batch: try agent.batch(batch))
            rig.clock.advance(by: 0.1)
            await rig.broker.tick()
        }
        let session = try #require(await rig.broker.session(id))
        #expect(await session.peakHeldBytes <= budget)
        #expect(await session.heldBytes <= budget)
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([], last: true))
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        let blocks = try PcapngReader.readAll(await Self.readAll(reader))
        let written = Self.packets(blocks).count
        let isb = try #require(Self.statistics(blocks).first)
        #expect(written < total && written > 0)
        #expect(isb.interfaceDrops == UInt64(total - written))
        #expect(isb.received == UInt64(total))
        let summary = try #require(await rig.recorder.finishedCalls.first?.summary)
        #expect(summary.interfaces.first?.serverDrops == UInt64(total - written))
        #expect(summary.drops == UInt64(total - written))
    }

    @Test("the packet count ends the capture: exactly that many packets, then the ISBs, and the tap is asked to stop")
    func countLimitEndsTheCapture() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading(packetLimit: 5)
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        let t0 = rig.nanos
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch((0..<20).map {
            (interface: 0, timestamp: t0 + UInt64($0) * 1000, frame: SyntheticAgent.frame(host: 1, number: UInt32($0)))
        }))
        let blocks = try PcapngReader.readAll(await output.value)
        #expect(Self.packets(blocks).map(\.timestamp) == (0..<5).map { t0 + UInt64($0) * 1000 })
        #expect(Self.statistics(blocks).map(\.interfaceDrops) == [0], "the 15 past the count were left out, not dropped")
        #expect(await rig.recorder.endedReasons == [.packetLimit])
        #expect(await rig.recorder.finishedCalls.first?.summary.reason == .packetLimit)
        #expect(await rig.recorder.finishedCalls.first?.summary.drops == 0)
    }

    @Test("a reader that goes away stops the capture as client_gone")
    func readerGoneStopsTheCapture() async throws {
        let rig = Rig()
        let id = await rig.start()
        let reader = try await rig.broker.reader(for: id)
        await reader.gone()
        #expect(await rig.recorder.endedReasons == [.clientGone])
        #expect(await rig.recorder.finishedCalls.first?.summary.reason == .clientGone)
        #expect(await rig.broker.runningCaptures.isEmpty)
    }

    @Test("a streamed capture whose reader never comes stops as client_gone after the grace")
    func readerThatNeverComes() async throws {
        let rig = Rig(readerGrace: .seconds(5))
        _ = await rig.start()
        await rig.broker.tick()
        #expect(await rig.recorder.endedReasons.isEmpty)
        rig.clock.advance(by: 6)
        await rig.broker.tick()
        #expect(await rig.recorder.endedReasons == [.clientGone])
    }

    @Test("when every agent seen has finished, the capture waits the drain grace: an agent that joins meanwhile keeps it running")
    func agentsFinishedWaitsForLateAgents() async throws {
        let rig = Rig(drainGrace: .seconds(2))
        let id = await rig.start()
        _ = try await rig.broker.reader(for: id)
        var node1 = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        var node2 = SyntheticAgent(host: "node-2", captureID: id, interfaces: [.init(index: 0, name: "node-2/web-2/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try node1.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))], last: true))
        rig.clock.advance(by: 1)
        await rig.broker.tick()
        await rig.broker.ingest(agent: "node-2", batch: try node2.batch([(0, rig.nanos, SyntheticAgent.frame(host: 2, number: 0))]))
        rig.clock.advance(by: 5)
        await rig.broker.tick()
        #expect(await rig.recorder.finishedCalls.isEmpty, "node-2 is still sending")
        await rig.broker.ingest(agent: "node-2", batch: try node2.batch([], last: true))
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        #expect(await rig.recorder.endedReasons == [.agentsFinished])
        #expect(await rig.recorder.finishedCalls.first?.summary.packets == 2)
    }

    /// A streamed capture (drain grace 2 s, rejoin grace 10 s) whose one agent, node-1, sent one packet of web-1's
    /// eth0 and then its last batch by itself: its rig, its id and what its reader gets.
    static func everyAgentEndedByItself() async throws -> (rig: Rig, id: String, output: Task<[UInt8], Never>) {
        let rig = Rig(drainGrace: .seconds(2), rejoinGrace: .seconds(10))
        let (id, output) = try await rig.startReading()
        var old = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try old.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))], last: true))
        return (rig, id, output)
    }

    @Test("when every agent ended its stream by itself (its workloads rescheduled), the capture waits the rejoin grace, not the drain grace: the agent's new stream 5 s later joins the same capture")
    func aRescheduledWorkloadRejoinsWithinTheRejoinGrace() async throws {
        let (rig, id, output) = try await Self.everyAgentEndedByItself()
        rig.clock.advance(by: 5)
        await rig.broker.tick()
        #expect(await rig.recorder.finishedCalls.isEmpty, "past the drain grace, within the rejoin grace")
        var new = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-2/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try new.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 1))]))
        rig.clock.advance(by: 20)
        await rig.broker.tick()
        #expect(await rig.recorder.endedReasons == [], "the capture runs on with the new stream")
        #expect(await rig.recorder.finishedCalls.isEmpty)

        await rig.broker.tapEnded(id, reason: .stopped)
        rig.clock.advance(by: 3)  // the new stream sent no last batch: the drain grace
        await rig.broker.tick()
        let blocks = try PcapngReader.readAll(await output.value)
        #expect(Self.interfaces(blocks).map(\.name) == ["node-1/web-1/eth0", "node-1/web-2/eth0"], "both pods' interfaces in the one pcapng")
        #expect(Self.packets(blocks).count == 2)
    }

    @Test("a capture waiting for its agents to come back ends at once when its tap is stopped, not after the rejoin grace")
    func aStoppedTapEndsTheRejoinWaitAtOnce() async throws {
        let (rig, id, _) = try await Self.everyAgentEndedByItself()
        rig.clock.advance(by: 1)
        await rig.broker.tick()
        await rig.broker.tapEnded(id, reason: .stopped)
        #expect(await rig.recorder.finishedCalls.first?.summary.reason == .stopped)
        #expect(await rig.recorder.endedReasons == [], "the tap was stopped already: the capture asks for no stop")
    }

    @Test("when every agent ended its stream by itself and none comes back within the rejoin grace, the capture ends as agents_finished")
    func noAgentBackWithinTheRejoinGraceEndsTheCapture() async throws {
        let (rig, id, _) = try await Self.everyAgentEndedByItself()
        rig.clock.advance(by: 9)
        await rig.broker.tick()
        #expect(await rig.recorder.finishedCalls.isEmpty)
        rig.clock.advance(by: 2)
        await rig.broker.tick()
        #expect(await rig.recorder.endedReasons == [.agentsFinished])
    }

    @Test("an idle streamed capture sends its reader an empty Name Resolution Block every 2 s, which Wireshark ignores")
    func idleStreamSendsKeepalives() async throws {
        try #require(WiresharkTools.available, "tshark is needed (scripts/install-deps.sh)")
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))]))
        let session = try #require(await rig.broker.session(id))
        for _ in 0..<3 {
            rig.clock.advance(by: 2.1)
            await rig.broker.tick()
            // The reader has taken what is queued: the capture is idle from its reader's point of view. (The
            // deadline only bounds a failure: on a loaded 2-core run the reader's task may wait long for a thread.)
            _ = try await eventually(timeout: .seconds(60), "the reader to take the queued bytes") {
                await session.queuedBytes == 0 ? true : nil
            }
        }
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 1))], last: true))
        await rig.broker.tapEnded(id, reason: .stopped)
        let bytes = await output.value
        let keepalives = try PcapngReader.readAll(bytes).filter { if case .other(type: 4, _) = $0 { true } else { false } }
        #expect(keepalives.count >= 2)
        #expect(await rig.recorder.finishedCalls.first?.summary.size == Int64(bytes.count))
        let rows = try await WiresharkTools.withFile(bytes) { file in try WiresharkTools.fields(file, ["frame.number"]) }
        #expect(rows.count == 2)
    }

    @Test("when the server shuts down every capture ends at once: its stream ends with its ISBs and its tap is to stop")
    func shutdownEndsCaptures() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))]))
        await rig.broker.shutDown()
        let blocks = try PcapngReader.readAll(await output.value)
        #expect(Self.packets(blocks).count == 1 && Self.statistics(blocks).count == 1)
        #expect(await rig.recorder.endedReasons == [.serverShutdown])
        #expect(await rig.recorder.finishedCalls.first?.summary.reason == .serverShutdown)
        #expect(await rig.broker.runningCaptures.isEmpty)
    }

    @Test("a capture has one reader")
    func oneReader() async throws {
        let rig = Rig()
        let id = await rig.start()
        _ = try await rig.broker.reader(for: id)
        await #expect(throws: TapsterError(.inUse, "capture \(id) is already being read; it has one reader")) {
            try await rig.broker.reader(for: id)
        }
    }

    @Test("when its tap stops, a capture waits for the agents' last batches, at most the drain grace")
    func tapEndWaitsForLastBatches() async throws {
        let rig = Rig(drainGrace: .seconds(2))
        let (id, output) = try await rig.startReading()
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))]))
        await rig.broker.tapEnded(id, reason: .stopped)
        #expect(await rig.recorder.finishedCalls.isEmpty, "still waiting for node-1's last batch")
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 1))], last: true))
        let blocks = try PcapngReader.readAll(await output.value)
        #expect(Self.packets(blocks).count == 2)
        #expect(await rig.recorder.finishedCalls.first?.summary.reason == .stopped)
        #expect(await rig.recorder.endedReasons.isEmpty, "the tap stopped already; the broker does not stop it again")
    }

    @Test("past its deadline a capture ends by itself after the drain grace, even if no agent ever sent anything")
    func deadlineEndsACapture() async throws {
        let rig = Rig(drainGrace: .seconds(2))
        let (id, output) = try await rig.startReading(seconds: 10)
        rig.clock.advance(by: 11)
        await rig.broker.tick()
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        let blocks = try PcapngReader.readAll(await output.value)
        #expect(blocks.count == 1, "a section header alone: valid pcapng, no interfaces")
        #expect(await rig.recorder.finishedCalls.first?.summary.reason == .deadline)
    }

    @Test("a stored capture streams into the object store, tagged, and is recorded with its size")
    func storedCapture() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-broker-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = FilesystemObjectStore(root: directory)
        let rig = Rig(objectStore: store)
        let id = Identifier.make()
        _ = await rig.start(id, mode: .store, objectKey: "shop/\(id).pcapng", tags: ["owner": "alice", "tenant": "shop", "tap": id])
        _ = try await Self.twoHosts(rig, id)
        let finished = try await eventually("the upload to finish") { await rig.recorder.finishedCalls.first }
        let stored = try #require(finished.stored)
        #expect(finished.failure == nil)
        #expect(stored.key == "shop/\(id).pcapng" && stored.tags == ["owner": "alice", "tenant": "shop", "tap": id])
        let download = try await store.download(key: stored.key)
        let bytes = Array(try await download.body.collect(upTo: 1 << 20).readableBytesView)
        #expect(Int64(bytes.count) == stored.size)
        #expect(Self.packets(try PcapngReader.readAll(bytes)).count == 60)
    }

    @Test("batches of captures the broker does not run are counted and ignored")
    func unknownCapture() async throws {
        let rig = Rig()
        var agent = SyntheticAgent(host: "node-1", captureID: "nope", interfaces: [.init(index: 0, name: "node-1/x/eth0")])
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))]))
        #expect(await rig.broker.unknownBatches == 1)
    }

    @Test("an interface name that does not start with the sending agent's name is put under it")
    func interfaceNamesStartWithTheAgent() {
        #expect(CaptureMerge.interfaceName("node-1/web/eth0", agent: "node-1", index: 0) == "node-1/web/eth0")
        #expect(CaptureMerge.interfaceName("node-2/web/eth0", agent: "node-1", index: 0) == "node-1/node-2/web/eth0")
        #expect(CaptureMerge.interfaceName("", agent: "node-1", index: 3) == "node-1/-/if3")
    }
}

/// Records what the broker reports, in order.
actor TestRecorder: CaptureRecorder {
    struct Finished: Sendable {
        var id: String
        var summary: CaptureSummary
        var stored: StoredObject?
        var failure: String?
    }

    private(set) var endedReasons: [CaptureEndReason] = []
    private(set) var finishedCalls: [Finished] = []
    private(set) var progressCalls = 0

    func progress(_ id: String, _ summary: CaptureSummary) { progressCalls += 1 }
    func ended(_ id: String, reason: CaptureEndReason) { endedReasons.append(reason) }
    func finished(_ id: String, _ summary: CaptureSummary, stored: StoredObject?, failure: String?) {
        finishedCalls.append(Finished(id: id, summary: summary, stored: stored, failure: failure))
    }
}

extension AsyncSequence where Self: Sendable, Element: Sendable {
    /// The elements until the end or the first error.
    func ignoringErrors() -> AsyncStream<Element> {
        AsyncStream { continuation in
            let task = Task {
                do { for try await element in self { continuation.yield(element) } } catch {}
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
