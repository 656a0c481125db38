import Foundation
import PacketKit
import TapsterCore
@testable import TapsterServer
import TapsterSystemTestSupport
import Testing

/// The capture broker when agents fail or lie: a host whose stream broke off is recorded as absent (in
/// the summary, in the pcapng), and packets are cut to the capture's snaplen whatever the agent sent.
@Suite struct CaptureBrokerFaultTests {
    typealias Rig = CaptureBrokerTests.Rig

    /// node-1 sends 2 packets, dies (its stream breaks off without `last`), and 4 s later a restarted
    /// agent (counting from 0 again) sends 1 packet and its last batch.
    static func agentRestarts(_ rig: Rig, _ id: String) async throws -> (gapStart: Date, gapEnd: Date) {
        let interface = SyntheticAgent.Interface(index: 0, name: "node-1/web-1/eth0")
        var before = SyntheticAgent(host: "node-1", captureID: id, interfaces: [interface])
        let t = rig.nanos
        await rig.broker.ingest(agent: "node-1", batch: try before.batch([(0, t, SyntheticAgent.frame(host: 1, number: 0)),
                                                                          (0, t + 1, SyntheticAgent.frame(host: 1, number: 1))]))
        let gapStart = rig.clock.now
        rig.clock.advance(by: 4)
        await rig.broker.tick()
        let gapEnd = rig.clock.now
        var after = SyntheticAgent(host: "node-1", captureID: id, interfaces: [interface])
        await rig.broker.ingest(agent: "node-1", batch: try after.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 2))]))
        await rig.broker.ingest(agent: "node-1", batch: try after.batch([], last: true))
        await rig.broker.tapEnded(id, reason: .stopped)
        return (gapStart, gapEnd)
    }

    @Test("an agent whose stream broke off and came back is recorded as absent from its last batch until its new stream, in the summary")
    func restartedAgentIsRecordedAbsent() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        let gap = try await Self.agentRestarts(rig, id)
        _ = await output.value
        let summary = try #require(await rig.recorder.finishedCalls.first?.summary)
        let absence = try #require(summary.absences.first)
        #expect(summary.absences.count == 1)
        #expect(absence.host == "node-1")
        #expect(abs(absence.from.timeIntervalSince(gap.gapStart)) < 0.01 && abs(absence.until!.timeIntervalSince(gap.gapEnd)) < 0.01)
        #expect(summary.packets == 3 && summary.drops == 0)
        #expect(summary.interfaces.first?.received == 3, "the restarted agent's counters (1) add to the ones its first run ended with (2)")
    }

    @Test("the absence is written into the pcapng: a comment on the host's first packet after it (tshark shows it) and on its ISB")
    func absenceIsInThePcapng() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        _ = try await Self.agentRestarts(rig, id)
        let bytes = await output.value
        let blocks = try PcapngReader.readAll(bytes)
        let packets = CaptureBrokerTests.packets(blocks)
        #expect(packets.map(\.comments.count) == [0, 0, 1], "only the first packet after the absence carries it")
        let note = try #require(packets.last?.comments.first)
        #expect(note.hasPrefix("tapster: host node-1 was absent from ") && note.contains(" to "), "\(note)")
        #expect(CaptureBrokerTests.statistics(blocks).first?.comments.contains(note) == true)

        try #require(WiresharkTools.available, "tshark is needed (scripts/install-deps.sh)")
        try await WiresharkTools.withFile(bytes) { file in
            let shown = try WiresharkTools.run("tshark", ["-r", file.path, "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"])
            #expect(shown.status == 0, "tshark: \(shown.stderr)")
            #expect(shown.lines == [note], "\(shown.stdout)")
        }
    }

    @Test("a host silent for longer than the silence limit is shown absent while the capture runs, and until the end when it never comes back")
    func silentHostIsAbsentUntilTheEnd() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading(expectedAgents: ["node-1", "node-2"])
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        let lastHeard = rig.clock.now
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))]))
        rig.clock.advance(by: 5)
        let live = await rig.broker.session(id)!.summary(at: rig.clock.now)
        #expect(live.absences.map(\.host) == ["node-1"] && live.absences.first?.until == nil)
        await rig.broker.tapEnded(id, reason: .stopped)
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        let blocks = try PcapngReader.readAll(await output.value)
        let summary = try #require(await rig.recorder.finishedCalls.first?.summary)
        #expect(summary.absences.map(\.host) == ["node-1", "node-2"], "node-1 went silent; node-2 was expected and never sent")
        #expect(abs(summary.absences[0].from.timeIntervalSince(lastHeard)) < 0.01)
        #expect(summary.absences.allSatisfy { $0.until != nil })
        #expect(CaptureBrokerTests.statistics(blocks).first?.comments.contains { $0.hasPrefix("tapster: host node-1 was absent") } == true)
    }

    @Test("an agent that describes a new interface mid-stream has not restarted: no absence, its counters are not added up")
    func newInterfaceIsNotAnAbsence() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading()
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0"),
                                                                                .init(index: 1, name: "node-1/web-1/eth1")])
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, SyntheticAgent.frame(host: 1, number: 0))]))
        rig.clock.advance(by: 1)
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(1, rig.nanos, SyntheticAgent.frame(host: 1, number: 1))]))
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([], last: true))
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        _ = await output.value
        let summary = try #require(await rig.recorder.finishedCalls.first?.summary)
        #expect(summary.absences.isEmpty)
        #expect(summary.interfaces.map(\.received) == [1, 1])
    }

    @Test("packets are cut to the capture's snaplen on ingest, whatever the agent sent; their original length is kept")
    func packetsAreCutToTheSnaplen() async throws {
        let rig = Rig()
        let (id, output) = try await rig.startReading(snapLength: 96)
        // The agent claims a 9000-byte snaplen and sends whole 300-byte frames.
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0", snaplen: 9000)])
        let frame = SyntheticAgent.frame(host: 1, number: 0, size: 300)
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([(0, rig.nanos, frame), (0, rig.nanos + 1, frame)], last: true))
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        let blocks = try PcapngReader.readAll(await output.value)
        #expect(CaptureBrokerTests.interfaces(blocks).map(\.snapLength) == [96])
        let packets = CaptureBrokerTests.packets(blocks)
        #expect(packets.map(\.data.count) == [96, 96])
        #expect(packets.map(\.originalLength) == [300, 300])
        #expect(packets.allSatisfy { Array($0.data) == Array(frame.prefix(96)) })
        let summary = try #require(await rig.recorder.finishedCalls.first?.summary)
        #expect(summary.packets == 2 && summary.drops == 0)
    }
}
