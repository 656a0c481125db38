import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterWire
import TapsterTestSupport

/// A filter's tenant holds in every selection: another tenant's workloads with the same labels are never
/// listed, counted, tapped or sent to the agents — over HTTP, on every store.
@Suite struct TenantIsolationTests {
    /// The fixture, plus `web-9`: a `bank` workload labelled `app=web` like shop's web-1 and web-2.
    static func withBankWeb(_ api: API) async throws -> Fixture {
        let fixture = try await Fixture.make(api)
        _ = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: fixture.admin, json: WorkloadSpec(
            name: "web-9", kind: .netns, host: "node-9", tenant: "bank", labels: ["app": "web"],
            interfaces: [WorkloadInterface(name: "eth0", ips: [try IPAddress(parsing: "10.9.0.1")])]))
        return fixture
    }

    @Test(arguments: StoreKind.available)
    func aFiltersWorkloadsAreOnlyItsTenants(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Self.withBankWeb(api)
            for token in [fixture.alice, fixture.admin] {
                let listed = try await api.expect(ItemList<Workload>.self, .get, "/api/v1/filters/web-to-db/workloads", token: token)
                #expect(listed.items.map(\.name).sorted() == ["web-1", "web-2"])
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aFiltersMatchCountIsOnlyItsTenants(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Self.withBankWeb(api)
            let view = try await api.expect(FilterView.self, .get, "/api/v1/filters/web-to-db", token: fixture.alice)
            #expect(view.matches == FilterMatches(workloads: 2, hosts: 2))
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnersTapMatchesOnlyTheFilterTenantsWorkloads(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Self.withBankWeb(api)
            #expect(try await fixture.aliceTap(api).tap.matchedWorkloads == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func theAgentsPlanCapturesNoOtherTenantsWorkload(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Self.withBankWeb(api)
            let tap = try await fixture.aliceTap(api).tap
            let store = controlPlane.store
            let plans = DesiredTapsPlanner.plan(try await .init(
                taps: store.listTaps(TapQuery()), filters: store.list(.filters, tenants: nil), targets: store.list(.targets, tenants: nil),
                workloads: store.list(.workloads, tenants: nil),
                agents: ["node-1", "node-2", "node-9"].map { Agent(name: $0, state: .connected, createdAt: Date()) }, now: Date()))
            #expect(plans["node-9"] == AgentPlan())
            #expect(plans.values.flatMap(\.taps).filter { $0.tapID == tap.id }.flatMap { $0.sources.map(\.workload) }.sorted() == ["web-1", "web-2"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aPreviewOfATenantsFilterListsOnlyThatTenantsWorkloads(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Self.withBankWeb(api)
            let preview = try await api.expect(FilterPreview.self, .post, "/api/v1/filters/preview", token: fixture.admin, json: FilterSpec(
                name: "shop-not-db", tenant: "shop", selector: try LabelSelector(parsing: "app!=db")))
            #expect(preview.items.map(\.name).sorted() == ["web-1", "web-2"])
        }
    }

    @Test func aPeerInAnotherTenantNarrowsByAddressButIsNeverCaptured() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func workload(_ name: String, tenant: String, labels: [String: String], ip: String) -> Workload {
            Workload(createdAt: start, spec: WorkloadSpec(name: name, kind: .netns, host: "node-1", tenant: tenant, labels: labels, netns: name,
                                                          interfaces: [WorkloadInterface(name: "eth0", ips: [try! IPAddress(parsing: ip)])]))
        }
        let filter = Filter(createdAt: start, spec: FilterSpec(name: "web-to-db", tenant: "shop", selector: try! LabelSelector(parsing: "app=web"),
                                                               peerSelector: try! LabelSelector(parsing: "app=db")))
        let target = Target(createdAt: start, spec: TargetSpec(name: "ids", kind: .vxlan, destination: try! IPAddress(parsing: "192.0.2.20"), vni: 7))
        let tap = Tap(tenant: "shop", owner: "alice", ownerID: "id-alice", filter: "web-to-db", target: "ids",
                      duration: TapDuration(seconds: 60), createdAt: start)
        let plans = DesiredTapsPlanner.plan(.init(
            taps: [tap], filters: [filter], targets: [target],
            workloads: [workload("web-1", tenant: "shop", labels: ["app": "web"], ip: "10.0.0.1"),
                        workload("db-9", tenant: "bank", labels: ["app": "db", "tier": "web"], ip: "10.9.0.5"),
                        workload("web-9", tenant: "bank", labels: ["app": "web"], ip: "10.9.0.6")],
            agents: [Agent(name: "node-1", state: .connected, createdAt: start)], now: start.addingTimeInterval(1)))
        let assignment = plans["node-1"]?.taps.first
        #expect(assignment?.sources.map(\.workload) == ["web-1"])
        #expect(assignment?.bpf == "(host 10.9.0.5)")
    }
}
