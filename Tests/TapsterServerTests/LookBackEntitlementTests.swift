import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport
import Testing

/// `--before` never reaches before the capture's owner was entitled, on every store: a recorder's ring holds packets
/// from before alice's grant was made, which that grant never entitled her to see. Her look-back starts when the grant
/// took its current form, her agents' plans say so, and the answer tells her; an admin's look-back is not bounded.
@Suite struct LookBackEntitlementTests {
    typealias Rig = CaptureAPITests.Rig

    /// The rig, with a recorder of shop's web workloads covering 60 s, then `shop-web` granted to alice just now.
    static func run(_ kind: StoreKind, _ body: @Sendable (Rig, Grant) async throws -> Void) async throws {
        try await Rig.run(kind) { rig in
            let admin = rig.fixture.admin
            _ = try await rig.api.expect(FilterView.self, .post, "/api/v1/filters", token: admin, json: FilterSpec(
                name: "shop-web", tenant: "shop", selector: try LabelSelector(parsing: "app=web")))
            let recorder = try await rig.api.call(.post, "/api/v1/recorders", token: admin, json: RecorderSpec(
                name: "shop-web-recorder", filter: "shop-web", window: TapDuration(seconds: 60), maxBytes: 64 << 20))
            #expect(recorder.status == 201, "\(recorder.text)")
            let grant = try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
                user: "alice", filter: "shop-web", target: "archive", maxDuration: try TapDuration(parsing: "1h")))
            try await body(rig, grant)
        }
    }

    static func lookBack(_ seconds: Int64) -> CaptureRequest {
        var request = CaptureRequest(filter: "shop-web", target: "archive", duration: TapDuration(seconds: 300), store: true)
        request.before = TapDuration(seconds: seconds)
        return request
    }

    /// Whether two instants are the same to the millisecond the API's and the store's encodings keep.
    static func same(_ a: Date?, _ b: Date) -> Bool { a.map { abs($0.timeIntervalSince(b)) < 0.001 } ?? false }

    /// Whether a plan's look-back start (ns since the epoch) is `date`, to the millisecond.
    static func same(_ nanoseconds: UInt64?, _ date: Date) -> Bool {
        same(nanoseconds.map { Date(timeIntervalSince1970: Double($0) / 1e9) }, date)
    }

    @Test(arguments: StoreKind.available)
    func aLookBackThroughAGrantMadeAMomentAgoStartsWhenTheGrantWasMadeAndSaysSo(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, grant in
            let view = try await rig.api.expect(CaptureView.self, .post, "/api/v1/captures", token: rig.fixture.alice, json: Self.lookBack(30))
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.alice)

            #expect(Self.same(tap.capture?.entitledSince, grant.updatedAt), "\(String(describing: tap.capture?.entitledSince)) \(grant.updatedAt)")
            #expect(Self.same(DesiredTapsPlanner.lookBackSince(of: tap), grant.updatedAt))
            let warning = try #require(view.warnings.first { $0.hasPrefix("the look-back starts at ") }, "\(view.warnings)")
            #expect(warning.contains("before the capture instead of 30s: that is when the grant or filter \"shop-web\" you capture through "
                                     + "took its current form, and packets from before it are not yours to see"), "\(warning)")
        }
    }

    @Test(arguments: StoreKind.available)
    func anEntitlementFromARequestIsIgnored(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, grant in
            // A client cannot widen its own look-back: the field is the server's.
            let reply = try await rig.api.call(.post, "/api/v1/captures", token: rig.fixture.alice, raw: """
                {"filter": "shop-web", "target": "archive", "duration": "5m", "store": true, "before": "30s",
                 "entitled_since": "2000-01-01T00:00:00Z"}
                """)
            #expect(reply.status == 201, "\(reply.text)")
            let view = try reply.decode(CaptureView.self)
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.alice)

            #expect(Self.same(tap.capture?.entitledSince, grant.updatedAt))
        }
    }

    @Test(arguments: StoreKind.available)
    func anAdminsLookBackIsNotBounded(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, _ in
            let request = Self.lookBack(30)
            let view = try await rig.api.expect(CaptureView.self, .post, "/api/v1/captures", token: rig.fixture.admin, json: request)
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.admin)

            #expect(tap.capture?.entitledSince == nil)
            #expect(Self.same(DesiredTapsPlanner.lookBackSince(of: tap), tap.createdAt.addingTimeInterval(-30)))
            #expect(!view.warnings.contains { $0.hasPrefix("the look-back starts at ") }, "\(view.warnings)")
        }
    }
}
