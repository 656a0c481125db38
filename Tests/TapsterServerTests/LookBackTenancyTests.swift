import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport
import Testing

/// `--before` across the tenant boundary, on every store: alice (tenant shop) captures through `web-any`, a filter of
/// no tenant selecting `app=web`, which also matches bank's `ledger-web` on `node-9` by label. Her capture selects
/// only shop's web-1 and web-2 (its tap's tenant): the look-back is checked on those alone, and no answer names bank's
/// workload or its host.
@Suite struct LookBackTenancyTests {
    typealias Rig = CaptureAPITests.Rig

    /// The rig, plus `web-any` granted to alice with `archive`, and bank's `ledger-web` (app=web) on node-9.
    static func run(_ kind: StoreKind, _ body: @Sendable (Rig) async throws -> Void) async throws {
        try await Rig.run(kind) { rig in
            let admin = rig.fixture.admin
            _ = try await rig.api.expect(FilterView.self, .post, "/api/v1/filters", token: admin, json: FilterSpec(
                name: "web-any", selector: try LabelSelector(parsing: "app=web")))
            _ = try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
                user: "alice", filter: "web-any", target: "archive", maxDuration: try TapDuration(parsing: "1h")))
            _ = try await rig.api.expect(Workload.self, .post, "/api/v1/workloads", token: admin, json: WorkloadSpec(
                name: "ledger-web", kind: .netns, host: "node-9", tenant: "bank", labels: ["app": "web"],
                interfaces: [WorkloadInterface(name: "eth0", ips: [try IPAddress(parsing: "10.9.0.1")])]))
            try await body(rig)
        }
    }

    static func lookBack() -> CaptureRequest {
        var request = CaptureRequest(filter: "web-any", target: "archive", duration: TapDuration(seconds: 300), store: true)
        request.before = TapDuration(seconds: 30)
        return request
    }

    static func leaks(_ text: String) -> Bool { text.contains("ledger-web") || text.contains("node-9") }

    @Test(arguments: StoreKind.available)
    func aLookBackIsNotRefusedBecauseOfAnotherTenantsWorkloadItsFilterMatchesByLabel(kind: StoreKind) async throws {
        try await Self.run(kind) { rig in
            // A recorder of shop's web workloads (all their traffic): it covers everything alice's capture selects.
            _ = try await rig.api.expect(FilterView.self, .post, "/api/v1/filters", token: rig.fixture.admin, json: FilterSpec(
                name: "shop-web", tenant: "shop", selector: try LabelSelector(parsing: "app=web")))
            let recorder = try await rig.api.call(.post, "/api/v1/recorders", token: rig.fixture.admin, json: RecorderSpec(
                name: "shop-web-recorder", filter: "shop-web", window: TapDuration(seconds: 60), maxBytes: 64 << 20))
            #expect(recorder.status == 201, "\(recorder.text)")
            let reply = try await rig.api.call(.post, "/api/v1/captures", token: rig.fixture.alice, json: Self.lookBack())
            #expect(reply.status == 201, "\(reply.text)")
            #expect(!Self.leaks(reply.text), "\(reply.text)")
            let view = try reply.decode(CaptureView.self)
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(view.capture.id)", token: rig.fixture.alice)
            #expect(tap.tenant == "shop" && tap.capture?.before == TapDuration(seconds: 30))
        }
    }

    @Test(arguments: StoreKind.available)
    func aLookBackRefusalNamesOnlyAWorkloadOfTheRequestersOwnTenant(kind: StoreKind) async throws {
        try await Self.run(kind) { rig in
            let reply = try await rig.api.call(.post, "/api/v1/captures", token: rig.fixture.alice, json: Self.lookBack())
            #expect(reply.status == 422, "\(reply.text)")
            let error = try reply.error
            #expect(error.code == .notRecorded)
            #expect(!Self.leaks(reply.text), "\(reply.text)")
            #expect(error.message.contains("node-1/web-1") || error.message.contains("node-2/web-2"), "\(error.message)")
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.alice).items.isEmpty,
                    "refused in the transaction that would have opened it: nothing opened")
        }
    }
}
