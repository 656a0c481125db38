@testable import TapsterAgent
import Testing

/// The start-up sweep of workload namespaces never runs beside this run's first in-kernel mirrors.
@Suite(.timeLimit(.minutes(1))) struct StartupSweepGateTests {
    @Test func aSweepBegunBeforeTheChannelGaveUpIsWaitedFor() async {
        let gate = StartupSweepGate()
        #expect(gate.beginSweep())
        #expect(!gate.skipUnlessBegun())
        let waiting = Task { await gate.waitForSweep() }
        gate.endSweep()
        await waiting.value
    }

    @Test func aChannelThatGaveUpFirstMakesTheLateSweepBeSkipped() {
        let gate = StartupSweepGate()
        #expect(gate.skipUnlessBegun())
        #expect(!gate.beginSweep())
    }

    @Test func aSweepOverBeforeTheChannelGaveUpIsNotWaitedFor() async {
        let gate = StartupSweepGate()
        #expect(gate.beginSweep())
        gate.endSweep()
        #expect(!gate.skipUnlessBegun())
        await gate.waitForSweep()
        #expect(!gate.beginSweep())
    }
}
