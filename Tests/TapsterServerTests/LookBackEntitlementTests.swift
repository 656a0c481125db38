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
            #expect(warning.contains("before the capture instead of 30s: that is when its owner became entitled to it (the grant or filter \"shop-web\" it captures through "
                                     + "took its current form, or its owner joined tenant \"shop\", whichever came last), and packets from "
                                     + "before it are not the owner's to see"), "\(warning)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aLookBackOfAnOwnerWhoJoinedTheTenantAMomentAgoStartsWhenTheyJoined(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, _ in
            let admin = rig.fixture.admin
            // bob (bank) is granted shop-web first; he joins shop 40 s later, and looks back 60 s at once.
            _ = try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
                user: "bob", filter: "shop-web", target: "archive", maxDuration: try TapDuration(parsing: "1h")))
            rig.clock.advance(by: 40)
            let bob = try await rig.api.expect(User.self, .patch, "/api/v1/users/bob", token: admin, json: UserPatch(tenants: ["bank", "shop"]))
            let joined = try #require(bob.memberSince["shop"])

            let view = try await rig.api.expect(CaptureView.self, .post, "/api/v1/captures", token: rig.fixture.bob, json: Self.lookBack(60))
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.bob)

            #expect(tap.tenant == "shop")
            #expect(Self.same(tap.capture?.entitledSince, joined), "\(String(describing: tap.capture?.entitledSince)) \(joined)")
            #expect(Self.same(DesiredTapsPlanner.lookBackSince(of: tap), joined))
            #expect(view.warnings.contains { $0.hasPrefix("the look-back starts at ") && $0.contains("or its owner joined tenant \"shop\"") },
                    "\(view.warnings)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aMembershipKeepsItsDateWhenTheOwnersOtherTenantsChange(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, _ in
            let admin = rig.fixture.admin
            let before = try await rig.api.expect(User.self, .get, "/api/v1/users/alice", token: admin)
            rig.clock.advance(by: 40)
            let after = try await rig.api.expect(User.self, .patch, "/api/v1/users/alice", token: admin, json: UserPatch(tenants: ["shop", "bank"]))

            #expect(after.memberSince["shop"] == before.memberSince["shop"])
            #expect(Self.same(after.memberSince["bank"], after.updatedAt))
            #expect(after.memberSince.keys.sorted() == ["bank", "shop"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aLookBackOfAPodMovedIntoTheTenantAMomentAgoStartsWhenItMovedAndSaysSo(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, grant in
            let admin = rig.fixture.admin
            // A pod of namespace shop-new, no tenant's until the mapping 40 s later makes it shop's.
            let pod = try await Self.registerPod(rig)
            #expect(pod.tenant == nil)
            rig.clock.advance(by: 40)
            try await Self.mapShopNew(rig)
            let moved = try await rig.api.expect(Workload.self, .get, "/api/v1/workloads/\(pod.id)", token: admin)
            #expect(moved.tenant == "shop")
            let movedAt = try #require(moved.spec.tenantSince)
            #expect(movedAt > grant.updatedAt.addingTimeInterval(39))

            let view = try await rig.api.expect(CaptureView.self, .post, "/api/v1/captures", token: rig.fixture.alice, json: Self.lookBack(60))
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.alice)
            let sources = try #require(try await Self.planned(tap.id, on: "node-1", rig.controlPlane.store)?.sources)

            // The pod's look-back starts when it became shop's; web-1, shop's all along, when alice's grant was made.
            #expect(Self.same(sources.first { $0.workload == "shop-new/web-9" }?.lookBackSince, movedAt))
            #expect(Self.same(sources.first { $0.workload == "web-1" }?.lookBackSince, grant.updatedAt))
            #expect(Self.same(try await Self.planned(tap.id, on: "node-1", rig.controlPlane.store)?.lookBackSince, movedAt))
            #expect(view.warnings.contains("the look-back of node-1/shop-new/web-9 starts at \(TapsterJSON.formatTime(movedAt)), when it "
                                           + "joined tenant \"shop\": what it sent before was not this tenant's"), "\(view.warnings)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodMovedIntoTheTenantAfterTheCaptureStartedIsCapturedLiveOnly(kind: StoreKind) async throws {
        try await Self.run(kind) { rig, grant in
            let admin = rig.fixture.admin
            let pod = try await Self.registerPod(rig)
            let view = try await rig.api.expect(CaptureView.self, .post, "/api/v1/captures", token: rig.fixture.alice, json: Self.lookBack(60))
            // 40 s into alice's capture, the pod becomes shop's: its ring holds what it sent as no tenant's.
            rig.clock.advance(by: 40)
            try await Self.mapShopNew(rig)
            #expect(try await rig.api.expect(Workload.self, .get, "/api/v1/workloads/\(pod.id)", token: admin).tenant == "shop")

            let assignment = try #require(try await Self.planned(view.capture.id, on: "node-1", rig.controlPlane.store))
            let podSource = try #require(assignment.sources.first { $0.workload == "shop-new/web-9" })
            #expect(podSource.lookBackRecorder == nil, "no recorder: the pod is captured live only")
            #expect(podSource.lookBackSince == nil)
            let web = try #require(assignment.sources.first { $0.workload == "web-1" })
            #expect(web.lookBackRecorder == "shop-web-recorder")
            #expect(Self.same(assignment.lookBackSince, grant.updatedAt), "the others' look-back is unchanged")
        }
    }

    /// Pod `shop-new/web-9` (app=web) on node-1, registered by the admin: no tenant's while namespace shop-new is unmapped.
    static func registerPod(_ rig: Rig) async throws -> Workload {
        try await rig.api.expect(Workload.self, .post, "/api/v1/workloads", token: rig.fixture.admin, json: WorkloadSpec(
            name: "shop-new/web-9", kind: .pod, host: "node-1", labels: ["app": "web"], netns: "/var/run/netns/cni-web-9",
            interfaces: [WorkloadInterface(name: "eth0", ips: [try IPAddress(parsing: "10.0.9.9")])],
            platform: WorkloadPlatform(runtime: "cri", namespace: "shop-new")))
    }

    /// The admin maps namespace shop-new to tenant shop: its pods become shop's now.
    static func mapShopNew(_ rig: Rig) async throws {
        _ = try await rig.api.expect(NamespaceMapping.self, .post, "/api/v1/namespace-mappings", token: rig.fixture.admin,
                                     json: NamespaceMappingSpec(pattern: "shop-new", tenant: "shop"))
    }

    /// Capture `tapID`'s assignment on `host`, planned from the store as the agent hub plans it.
    static func planned(_ tapID: String, on host: String, _ store: any Store) async throws -> DesiredTap? {
        let plans = DesiredTapsPlanner.plan(try await .init(
            taps: store.listTaps(TapQuery(states: [.active])), filters: store.list(.filters, tenants: nil),
            targets: store.list(.targets, tenants: nil), workloads: store.list(.workloads, tenants: nil),
            agents: ["node-1", "node-2"].map { Agent(name: $0, state: .connected, createdAt: Date()) }, now: Date(),
            recorders: store.list(.recorders, tenants: nil)))
        return plans[host]?.taps.first { $0.tapID == tapID }
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
