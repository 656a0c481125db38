import SwiftProtobuf
import Testing
import TapsterWire

/// Which status reports an agent sends: a changed one at once, an unchanged one only each heartbeat.
@Suite struct StatusPacingTests {
    static let start = ContinuousClock().now

    static func report(revision: UInt64 = 3, packets: UInt64? = nil) -> Tapster_Agent_V1_StatusReport {
        .with { report in
            report.revision = revision
            if let packets { report.taps = [.with { $0.tapID = "t1"; $0.state = .applied; $0.packets = packets }] }
        }
    }

    /// The decisions for `reports`, offered at `start + seconds`, in order.
    static func decisions(_ reports: [(seconds: Int, report: Tapster_Agent_V1_StatusReport)]) -> [Bool] {
        var pacing = StatusPacing(heartbeat: .seconds(10))
        return reports.map { pacing.shouldSend($0.report, at: start.advanced(by: .seconds($0.seconds))) }
    }

    @Test("a channel's first report is sent")
    func firstReportIsSent() {
        #expect(Self.decisions([(0, Self.report())]) == [true])
    }

    @Test("a report equal to the last sent is held back until the heartbeat has passed, then sent")
    func unchangedReportWaitsForTheHeartbeat() {
        let idle = Self.report()
        #expect(Self.decisions((0...21).map { ($0, idle) }) == (0...21).map { [0, 10, 20].contains($0) })
    }

    @Test("a new applied revision is sent at once")
    func newRevisionIsSent() {
        #expect(Self.decisions([(0, Self.report(revision: 3)), (1, Self.report(revision: 4))]) == [true, true])
    }

    @Test("moving counters are sent every time")
    func movingCountersAreSent() {
        #expect(Self.decisions((0..<5).map { ($0, Self.report(packets: UInt64($0) * 100)) }) == [true, true, true, true, true])
    }

    @Test("the heartbeat counts from the last report sent, changed or not")
    func heartbeatCountsFromTheLastSent() {
        let decisions = Self.decisions([(0, Self.report(packets: 1)), (5, Self.report(packets: 2)), (14, Self.report(packets: 2)),
                                        (15, Self.report(packets: 2))])
        #expect(decisions == [true, true, false, true])
    }

    @Test("a report that returns to an earlier content is sent: only the last sent counts")
    func returningToEarlierContentIsSent() {
        #expect(Self.decisions([(0, Self.report()), (1, Self.report(packets: 0)), (2, Self.report())]) == [true, true, true])
    }
}
