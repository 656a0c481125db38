import Foundation
import HTTPTypes
import TapsterCore
@testable import TapsterServer
import TapsterTestSupport
import Testing

/// The portal's `/admin/triggers`: the console's roles see every trigger with its counters, the last alert and
/// what it opened — never its secret; owners are refused.
@Suite struct TriggerPageTests {
    static func session(_ name: String, _ rig: CaptureAPITests.Rig) async throws -> String {
        try await rig.controlPlane.identity.openPortalSession(name: name, password: "password-of-\(name)", source: "192.0.2.1").secret
    }

    @Test func theConsoleSeesEachTriggerWithItsCountersAndLastAlertButNotItsSecret() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let created = try await TriggerWebhookTests.create(rig)
            let fired = try await TriggerWebhookTests.post(rig, created.trigger, #"{"selector": "app=web", "reason": "port scan <script>"}"#,
                                                           headers: TriggerWebhookTests.bearer(created.secret))
            let capture = try #require(fired.json["capture"] as? String)
            _ = try await TriggerWebhookTests.post(rig, created.trigger, #"{"selector": "app=web"}"#, headers: [:])
            let session = try await Self.session("audrey", rig)
            let page = try await FlowMapPageTests.get(TriggerPages.path, session: session, rig.api)
            #expect(page.status == 200)
            let html = page.text
            #expect(html.contains("<th scope=\"row\">suspicious-web</th><td>web-to-db</td><td>archive</td><td>5m</td><td>30s</td><td>1/10m</td>"
                                  + "<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td>"),
                    "\(html)")
            #expect(html.contains("port scan &lt;script&gt;") && !html.contains("<script>"), "the alert's text is escaped")
            #expect(html.contains("<td>\(capture)</td>") && html.contains(created.trigger.webhookPath))
            #expect(!html.contains(created.secret))
            let owner = try await FlowMapPageTests.get(TriggerPages.path, session: try await Self.session("alice", rig), rig.api)
            #expect(owner.status == 403)
        }
    }
}
