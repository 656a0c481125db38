@testable import TapsterServer
import Testing

/// `/metrics`' capture series: how many captures run here, and what each holds against its buffer.
@Suite struct CaptureBrokerMetricsTests {
    @Test("each live capture's held bytes and peak are exposed beside the per-capture and total buffers, and go when it ends")
    func liveCapturesReportTheirMemory() async throws {
        let budget = 256 << 10
        let rig = CaptureBrokerTests.Rig(budget: budget, totalBudget: 4 * budget)
        let id = await rig.start()
        let reader = try await rig.broker.reader(for: id)  // attached, reads nothing: the output stays held
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        let t0 = rig.nanos
        let frames = (0..<50).map { (interface: UInt32(0), timestamp: t0 + UInt64($0) * 1_000_000,
                                     frame: SyntheticAgent.frame(host: 1, number: UInt32($0), size: 1000)) }
        await rig.broker.ingest(agent: "node-1", batch: try agent.batch(frames))
        rig.clock.advance(by: 1)
        await rig.broker.tick()

        let session = try #require(await rig.broker.session(id))
        let held = await session.heldBytes, peak = await session.peakHeldBytes
        #expect(held > 50 * 1000 && held <= budget)
        let lines = Set(await rig.broker.metricsExposition().split(separator: "\n").map(String.init))
        #expect(lines.isSuperset(of: [
            "# TYPE tapster_captures_live gauge",
            "tapster_captures_live 1",
            "tapster_capture_held_bytes{capture=\"\(id)\"} \(held)",
            "tapster_capture_held_bytes_peak{capture=\"\(id)\"} \(peak)",
            "tapster_capture_buffer_bytes \(budget)",
            "tapster_captures_buffer_limit_bytes \(4 * budget)",
        ]))

        await rig.broker.ingest(agent: "node-1", batch: try agent.batch([], last: true))
        rig.clock.advance(by: 3)
        await rig.broker.tick()
        _ = await CaptureBrokerTests.readAll(reader)
        let after = await rig.broker.metricsExposition()
        #expect(after.contains("tapster_captures_live 0"))
        #expect(!after.contains(id))
    }
}
