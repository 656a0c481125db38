import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// A capture's warnings — what it holds less than its flags asked — are kept on its record, on every store: whoever
/// reads it (`GET /captures/{id}`) is told, also of one that started on an admin's approval, whose start answered no one.
@Suite struct CaptureWarningsTests {
    typealias Rig = CaptureAPITests.Rig

    /// `the look-back starts at …` of a capture through `shop-web` whose tap is `tap`, as the server words it.
    static func entitlementWarning(_ tap: Tap, before: Int64) throws -> String {
        let start = try #require(tap.capture?.entitledSince)
        let reached = CaptureService.secondsInTenths(tap.startedAt.millisecondsSince1970 - start.millisecondsSince1970)
        return "the look-back starts at \(TapsterJSON.formatTime(start)), \(reached) s before the capture instead of \(TapDuration(seconds: before)): "
            + "that is when its owner became entitled to it (the grant or filter \"shop-web\" it captures through took its current form, "
            + "or its owner joined tenant \"shop\", whichever came last), and packets from before it are not the owner's to see"
    }

    @Test(arguments: StoreKind.available)
    func aStoredCaptureApprovedLaterKeepsTheLookBackWarningsOfItsStart(kind: StoreKind) async throws {
        try await LookBackEntitlementTests.run(kind) { rig, _ in
            let cast = try await StoredCaptureApprovalTests.Cast.make(rig)  // target vault, admin ada
            _ = try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: rig.fixture.admin, json: GrantSpec(
                user: "alice", filter: "shop-web", target: "vault", maxDuration: try TapDuration(parsing: "1h"), approval: .required))
            // Pod shop-new/web-9 becomes shop's 10 s on; alice asks for 60 s of look-back then, and ada approves 20 s later.
            let pod = try await LookBackEntitlementTests.registerPod(rig)
            rig.clock.advance(by: 10)
            try await LookBackEntitlementTests.mapShopNew(rig)
            let moved = try await rig.api.expect(Workload.self, .get, "/api/v1/workloads/\(pod.id)", token: rig.fixture.admin)
            let movedAt = try #require(moved.spec.tenantSince)
            var request = LookBackEntitlementTests.lookBack(60)
            request.target = "vault"
            let id = try await rig.create(request).capture.id
            #expect(try await rig.capture(id).warnings == nil, "waiting, it has started nothing to warn of")
            rig.clock.advance(by: 20)
            _ = try await rig.api.expect(Tap.self, .post, "/api/v1/taps/\(id)/approve", token: cast.ada)
            // Its warnings are written once its session has begun, just after it went live: waited for too.
            let live = try await eventually(timeout: .seconds(30), "the approved capture to go live with its session and warnings") {
                let capture = try await rig.capture(id)
                let session = await rig.controlPlane.broker.session(id)
                return capture.state == .live && session != nil && capture.warnings != nil ? capture : nil
            }

            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: rig.fixture.alice)
            #expect(tap.startedAt == tap.approval?.decidedAt, "its look-back counts from the approval")
            // The record's warnings in the message: one full-suite run saw them differ, and the difference was not printed.
            #expect(live.warnings == [
                try Self.entitlementWarning(tap, before: 60),
                "the look-back of node-1/shop-new/web-9 starts at \(TapsterJSON.formatTime(movedAt)), when it joined tenant \"shop\": "
                    + "what it sent before was not this tenant's",
            ], "recorded: \(live.warnings ?? []); tap: \(tap)")
        }
    }

    @Test(arguments: StoreKind.available)
    func anImmediateCapturesWarningsAreOnItsRecordAsItsAnswerSaidThem(kind: StoreKind) async throws {
        try await LookBackEntitlementTests.run(kind) { rig, _ in
            let view = try await rig.create(LookBackEntitlementTests.lookBack(30))
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.alice)
            let expected = [try Self.entitlementWarning(tap, before: 30)]

            #expect(view.warnings == expected)
            let recorded = try await rig.capture(view.capture.id).warnings
            #expect(recorded == expected, "recorded: \(recorded ?? [])")
        }
    }
}
