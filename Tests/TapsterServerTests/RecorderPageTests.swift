import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterTestSupport
import TapsterWire
import Testing

/// The portal's `/admin/recorders`: the console's roles see each recorder with what every host's ring holds (as
/// its agent last reported it); owners are refused.
@Suite struct RecorderPageTests {
    /// A recorder of the rig's filter, with an escaped description, and node-1's report of its ring.
    /// - Returns: when the report was recorded (its oldest packet was then 29.9 s old).
    @discardableResult
    static func recorderWithAReport(_ rig: CaptureAPITests.Rig) async throws -> Date {
        _ = try await rig.api.expect(RecorderView.self, .post, "/api/v1/recorders", token: rig.fixture.admin, json: RecorderSpec(
            name: "web-recorder", description: "web <b>edge</b>", filter: "web-to-db", window: TapDuration(seconds: 30), maxBytes: 64 << 20))
        var report = Tapster_Agent_V1_RecorderStatus()
        report.name = "web-recorder"
        report.bytesHeld = 12 << 20
        report.bytesReserved = 64 << 20
        report.packetsHeld = 3_412
        report.captured = 1_234_567
        report.evicted = 89
        report.expired = 1_000
        report.kernelDrops = 2
        report.sources = 1
        report.failures = ["eth1: no such device"]
        let now = Date()
        report.oldestUnixNanos = UInt64((now.timeIntervalSince1970 - 29.9) * 1_000_000_000)
        rig.controlPlane.fleet.recorderStatuses.record(host: "node-1", [report], at: now)
        return now
    }

    @Test func theConsoleSeesEachRecordersDefinitionAndEveryHostsRing() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let reported = try await Self.recorderWithAReport(rig)
            let page = try await FlowMapPageTests.get(RecorderPages.path, session: try await TriggerPageTests.session("audrey", rig), rig.api)
            let since = Date().timeIntervalSince(reported)
            #expect(page.status == 200)
            let html = page.text
            #expect(html.contains("<h2>web-recorder</h2>"))
            #expect(html.contains("Filter <strong>web-to-db</strong>, window 30s, at most 64.0 MiB per host. web &lt;b&gt;edge&lt;/b&gt;"), "\(html)")
            // The ring's age is as of the page (the report's 29.9 s, plus the time since): on a loaded machine 30.1 s was seen.
            let before = "<th scope=\"row\">node-1</th><td>12.0 MiB of 64.0 MiB</td><td class=\"num\">3,412</td><td>"
            let after = " s</td><td class=\"num\">1,234,567</td><td class=\"num\">89</td><td class=\"num\">1,000</td><td class=\"num\">2</td>"
                + "<td class=\"num\">1</td><td>eth1: no such device</td>"
            let start = try #require(html.range(of: before), "\(html)")
            let end = try #require(html.range(of: after, range: start.upperBound..<html.endIndex), "\(html)")
            let age = try #require(Double(html[start.upperBound..<end.lowerBound]), "the age cell: \(html[start.upperBound..<end.lowerBound])")
            #expect(age >= 29.85 && age <= 29.9 + since + 0.1, "\(age) s shown, \(since) s after the report")
        }
    }

    @Test func aRecorderNoHostReportedSaysSo() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            _ = try await rig.api.expect(RecorderView.self, .post, "/api/v1/recorders", token: rig.fixture.admin, json: RecorderSpec(
                name: "idle-recorder", filter: "web-to-db", window: TapDuration(seconds: 10), maxBytes: 8 << 20))
            let page = try await FlowMapPageTests.get(RecorderPages.path, session: try await TriggerPageTests.session("audrey", rig), rig.api)
            #expect(page.text.contains("No host records it yet"))
        }
    }

    @Test func ownersAreRefused() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            try await Self.recorderWithAReport(rig)
            let page = try await FlowMapPageTests.get(RecorderPages.path, session: try await TriggerPageTests.session("alice", rig), rig.api)
            #expect(page.status == 403)
            #expect(!page.text.contains("web-recorder"))
        }
    }
}
