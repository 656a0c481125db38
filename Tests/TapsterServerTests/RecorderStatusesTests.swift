import Foundation
import SwiftProtobuf
import Testing
@testable import TapsterServer
import TapsterWire

/// What the server shows of a host's recorder between the agent's reports.
@Suite struct RecorderStatusesTests {
    static let reportedAt = Date(timeIntervalSince1970: 1_800_000_000)

    static func report(oldestSecondsBefore seconds: Double?) -> Tapster_Agent_V1_RecorderStatus {
        .with { report in
            report.name = "web"
            report.packetsHeld = seconds == nil ? 0 : 40
            report.oldestUnixNanos = seconds.map { UInt64((reportedAt.timeIntervalSince1970 - $0) * 1_000_000_000) } ?? 0
        }
    }

    @Test("the oldest packet's age keeps growing after the report, as an unchanged report is not repeated for 10 s")
    func oldestAgeIsReadWhenAsked() {
        let statuses = RecorderStatuses()
        statuses.record(host: "node-1", [Self.report(oldestSecondsBefore: 5)], at: Self.reportedAt)
        #expect(statuses.hosts(of: "web", at: Self.reportedAt).map(\.oldestAgeMilliseconds) == [5_000])
        #expect(statuses.hosts(of: "web", at: Self.reportedAt.addingTimeInterval(7)).map(\.oldestAgeMilliseconds) == [12_000])
        #expect(statuses.all(at: Self.reportedAt.addingTimeInterval(9)).map(\.status.oldestAgeMilliseconds) == [14_000])
    }

    @Test("a ring that holds nothing has no age, however long after the report")
    func emptyRingHasNoAge() {
        let statuses = RecorderStatuses()
        statuses.record(host: "node-1", [Self.report(oldestSecondsBefore: nil)], at: Self.reportedAt)
        #expect(statuses.hosts(of: "web", at: Self.reportedAt.addingTimeInterval(9)).map(\.oldestAgeMilliseconds) == [0])
    }
}
