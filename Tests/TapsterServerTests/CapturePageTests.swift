import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterTestSupport

/// The portal's `/captures`: each visitor's captures as CaptureService lets them see them, with live counters in
/// a region the script refreshes, and a download button that asks for a signed link when pressed.
@Suite struct CapturePageTests {
    /// Alice's complete stored capture (two hosts' packets) and her live streamed one, in the capture rig.
    static func aliceCaptures(_ rig: CaptureAPITests.Rig) async throws -> (stored: String, live: String) {
        let stored = try await rig.create(CaptureRequest(store: true)).capture.id
        try await rig.sendTwoHosts(stored)
        _ = try await eventually("alice's stored capture to complete") {
            try await rig.capture(stored).state == .complete ? true : nil
        }
        return (stored, try await rig.create().capture.id)
    }

    static func session(_ name: String, _ rig: CaptureAPITests.Rig) async throws -> String {
        try await rig.controlPlane.identity.openPortalSession(name: name, password: "password-of-\(name)", source: "192.0.2.1").secret
    }

    static func post(_ path: String, session: String, _ api: API) async throws -> API.Reply {
        let body = "\(CSRF.field)=\(CSRF.token(for: session))"
        let response = try await api.client.execute(uri: path, method: .post, headers: [
            .cookie: "\(PortalCookies.session)=\(session)", .contentType: "application/x-www-form-urlencoded",
        ], body: ByteBuffer(string: body))
        return API.Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView), headers: response.headers)
    }

    @Test func anOwnerSeesTheirTenantsCapturesWithCountersAndADownloadButtonOnlyForTheCompleteStoredOne() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let (stored, live) = try await Self.aliceCaptures(rig)
            let page = try await FlowMapPageTests.get("/captures", session: try await Self.session("alice", rig), rig.api)

            #expect(page.status == 200)
            #expect(page.text.contains(#"<a href="/captures" aria-current="page">Captures</a>"#))
            #expect(page.text.contains(#"<tr data-capture="\#(stored)">"#) && page.text.contains(#"<tr data-capture="\#(live)">"#))
            #expect(page.text.components(separatedBy: "action=\"/captures/").dropFirst().map { $0.prefix(while: { $0 != "/" }) } == [Substring(stored)],
                    "one download button: the complete stored capture's")
            let capture = try await rig.capture(stored)
            #expect(capture.packets > 0 && page.text.contains(">\(DisplayFormat.count(capture.packets))</td>"))
            #expect(page.text.contains(#"data-refresh="/captures?fragment=list""#))
        }
    }

    @Test func anotherTenantsOwnerSeesNoneOfThem() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let (stored, live) = try await Self.aliceCaptures(rig)
            let page = try await FlowMapPageTests.get("/captures", session: try await Self.session("bob", rig), rig.api)

            #expect(page.status == 200)
            #expect(!page.text.contains(stored) && !page.text.contains(live) && page.text.contains("No captures yet."))
        }
    }

    @Test func theFragmentIsTheRefreshedRegionWithTheSessionsCSRFToken() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let (stored, _) = try await Self.aliceCaptures(rig)
            let session = try await Self.session("alice", rig)
            let fragment = try await FlowMapPageTests.get("/captures?fragment=list", session: session, rig.api)

            #expect(fragment.status == 200)
            #expect(fragment.text.hasPrefix("<section id=\"capture-list\"") && !fragment.text.contains("<html"))
            #expect(fragment.text.contains(#"action="/captures/\#(stored)/download""#))
            #expect(fragment.text.contains(#"name="csrf" value="\#(CSRF.token(for: session))""#))
        }
    }

    @Test func theDownloadButtonRedirectsToASignedLinkThatDownloadsThePcapngAndIsAudited() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let (stored, _) = try await Self.aliceCaptures(rig)
            let reply = try await Self.post("/captures/\(stored)/download", session: try await Self.session("alice", rig), rig.api)

            #expect(reply.status == 303)
            let location = try #require(reply.headers[.location])
            #expect(location.hasPrefix("/api/v1/captures/\(stored)/download?"))
            let download = try await rig.api.client.execute(uri: location, method: .get, headers: [:], body: nil)
            #expect(download.status == .ok)
            #expect(Array(download.body.readableBytesView.prefix(4)) == [0x0A, 0x0D, 0x0D, 0x0A], "a pcapng Section Header Block")
            let events = try await rig.api.expect(AuditPage.self, .get, "/api/v1/audit?action=capture.download_link_created", token: rig.fixture.admin)
            #expect(events.items.map(\.actor) == ["alice"])
        }
    }

    @Test func aCaptureOfAnotherTenantCannotBeDownloadedThroughThePortal() async throws {
        try await CaptureAPITests.Rig.run(.sqlite) { rig in
            let (stored, _) = try await Self.aliceCaptures(rig)
            let reply = try await Self.post("/captures/\(stored)/download", session: try await Self.session("bob", rig), rig.api)

            #expect(reply.status == 404)
            #expect(reply.headers[.location] == nil)
        }
    }
}
