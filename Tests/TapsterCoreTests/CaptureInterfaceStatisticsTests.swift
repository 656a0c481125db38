import Testing
import TapsterCore

/// What a capture's Interface Statistics Block states for one interface.
@Suite("Capture interface statistics")
struct CaptureInterfaceStatisticsTests {
    @Test("the interface received what its agent captured plus what the kernel dropped")
    func receivedIncludesKernelDrops() {
        let statistics = CaptureInterfaceStatistics(name: "n/w/eth0", agent: "n", received: 100, packets: 90, kernelDrops: 7,
                                                    agentDrops: 4, serverDrops: 6)
        #expect(statistics.interfaceReceived == 107)
        #expect(statistics.drops == 17)
    }

    @Test("an agent's lagging count never states fewer received than were written or dropped")
    func receivedIsNeverBelowWhatWasAccountedFor() {
        let statistics = CaptureInterfaceStatistics(name: "n/w/eth0", agent: "n", received: 50, packets: 80, kernelDrops: 2,
                                                    agentDrops: 0, serverDrops: 10)
        #expect(statistics.interfaceReceived == 92)
    }

    @Test("counts near the top of UInt64 saturate instead of wrapping")
    func saturates() {
        let statistics = CaptureInterfaceStatistics(name: "n/w/eth0", agent: "n", received: .max - 1, packets: 0, kernelDrops: 5)
        #expect(statistics.interfaceReceived == .max)
    }
}
