import Foundation
import HTTPTypes
import SwiftProtobuf
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import TapsterWire

/// Pods reported through the real agent channel: their tenant comes only from the admins' namespace
/// mappings, `k8s.namespace` selects them, and changing the mappings moves the stored pods (and the taps
/// that cover them) — over HTTP, on every store.
@Suite struct PodTenancyTests {
    static let admin = TestServer.adminToken

    /// A Kubernetes pod as an agent reports it from the CRI: named `<namespace>/<pod>`, with one interface.
    static func pod(_ name: String, namespace: String, labels: [String: String], ip: String) -> Tapster_Agent_V1_WorkloadReport {
        .with {
            $0.name = "\(namespace)/\(name)"
            $0.kind = "pod"
            $0.netns = "/var/run/netns/cni-\(name)"
            $0.labels = labels
            $0.interfaces = [.with { $0.name = "eth0"; $0.ips = [ip] }]
            $0.platform = .with { $0.runtime = "cri"; $0.namespace = namespace; $0.uid = "uid-\(name)" }
        }
    }

    static func createMapping(_ api: API, _ pattern: String, tenant: String) async throws -> NamespaceMapping {
        try await api.expect(NamespaceMapping.self, .post, "/api/v1/namespace-mappings", token: admin,
                             json: NamespaceMappingSpec(pattern: pattern, tenant: tenant))
    }

    static func workloads(_ api: API, token: String, query: String = "") async throws -> [Workload] {
        try await api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads\(query)", token: token).items
    }

    /// Node-9's workloads once `count` of them are stored (as the admin sees them).
    static func reported(_ harness: AgentHarness, count: Int) async throws -> [Workload] {
        try await eventually("node-9's \(count) workloads") {
            let items = try await workloads(harness.api, token: admin, query: "?host=node-9")
            return items.count == count ? items : nil
        }
    }

    /// The fixture, agent node-9 connected, and `pods` reported by it and stored.
    static func withPods(_ harness: AgentHarness, mappings: [(String, String)] = [("shop-*", "shop")],
                         _ pods: [Tapster_Agent_V1_WorkloadReport]) async throws -> (Fixture, ControlStream, [Workload]) {
        let fixture = try await Fixture.make(harness.api)
        for (pattern, tenant) in mappings { _ = try await createMapping(harness.api, pattern, tenant: tenant) }
        let stream = try await harness.enrolledAgent("node-9").connect()
        stream.sendInventory(pods)
        return (fixture, stream, try await reported(harness, count: pods.count))
    }

    // MARK: Tenant from the namespace

    @Test(arguments: StoreKind.available)
    func aPodInAMappedNamespaceIsListedAndTappedByAnOwnerOfTheMappedTenant(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (fixture, stream, stored) = try await Self.withPods(harness, [Self.pod("web-5", namespace: "shop-a", labels: ["app": "web"], ip: "10.0.9.5")])
            #expect(stored.map(\.tenant) == ["shop"])
            #expect(try await Self.workloads(harness.api, token: fixture.alice).map(\.name).contains("shop-a/web-5"))
            let tap = try await fixture.aliceTap(harness.api).tap
            let desired = try await stream.desired("alice's tap on the pod") { !$0.taps.isEmpty }
            #expect(desired.taps.map(\.tapID) == [tap.id])
            #expect(desired.taps.first?.sources == [.with { $0.workload = "shop-a/web-5"; $0.netns = "/var/run/netns/cni-web-5"; $0.interface = "eth0" }])
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerOfAnotherTenantNeitherListsNorFindsAPod(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (fixture, stream, stored) = try await Self.withPods(harness, [Self.pod("web-5", namespace: "shop-a", labels: ["app": "web"], ip: "10.0.9.5")])
            let pod = try #require(stored.first)
            #expect(try await Self.workloads(harness.api, token: fixture.bob).map(\.name).contains(pod.name) == false)
            let refused = try await harness.api.failure(.get, "/api/v1/workloads/\(pod.id)", token: fixture.bob)
            #expect(refused.status == 404 && refused.error.code == .notFound)
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodsOwnTenantLabelNeverChoosesItsTenant(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (fixture, stream, stored) = try await Self.withPods(harness, [
                Self.pod("web-5", namespace: "shop-a", labels: ["app": "web", "tenant": "bank"], ip: "10.0.9.5"),
                Self.pod("web-6", namespace: "elsewhere", labels: ["app": "web", "tenant": "bank"], ip: "10.0.9.6"),
            ])
            #expect(stored.first { $0.name == "shop-a/web-5" }?.tenant == "shop")
            #expect(stored.first { $0.name == "elsewhere/web-6" }?.tenant == nil)
            #expect(try await Self.workloads(harness.api, token: fixture.bob).filter { $0.host == "node-9" } == [])
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodInAnUnmappedNamespaceHasNoTenantAndOnlyAdminsAndAuditorsSeeIt(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (fixture, stream, stored) = try await Self.withPods(harness, [Self.pod("web-7", namespace: "blog", labels: ["app": "web"], ip: "10.0.9.7")])
            #expect(stored.map(\.tenant) == [nil])
            for (token, sees) in [(fixture.admin, true), (fixture.audrey, true), (fixture.alice, false), (fixture.bob, false)] {
                #expect(try await Self.workloads(harness.api, token: token).contains { $0.name == "blog/web-7" } == sees)
            }
            await stream.close()
        }
    }

    // MARK: Changing the mappings

    @Test(arguments: StoreKind.available)
    func creatingAMappingMovesAStoredPodAndALiveTapFollowsIt(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (fixture, stream, stored) = try await Self.withPods(harness, mappings: [],
                                                                    [Self.pod("ledger-1", namespace: "ledger-prod", labels: ["app": "ledger"], ip: "10.0.9.8")])
            #expect(stored.map(\.tenant) == [nil])
            let tap = try await harness.api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.bob, json: TapRequest(
                filter: "bank-filter", target: "bank-tool", duration: try TapDuration(parsing: "15m"))).tap
            _ = try await Self.createMapping(harness.api, "ledger-*", tenant: "bank")
            let moved = try await harness.api.expect(Workload.self, .get, "/api/v1/workloads/\(try #require(stored.first).id)", token: fixture.bob)
            #expect(moved.tenant == "bank")
            let desired = try await stream.desired("bob's tap on the moved pod") { !$0.taps.isEmpty }
            #expect(desired.taps.map(\.tapID) == [tap.id])
            #expect(desired.taps.first?.sources.map(\.workload) == ["ledger-prod/ledger-1"])
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAMappingMovesItsPodsToTheNextMatchingMappingThenToNone(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (_, stream, stored) = try await Self.withPods(harness, mappings: [("shop-*", "shop"), ("shop-a", "bank")],
                                                              [Self.pod("web-5", namespace: "shop-a", labels: ["app": "web"], ip: "10.0.9.5")])
            let id = try #require(stored.first).id
            func tenant() async throws -> String? {
                try await harness.api.expect(Workload.self, .get, "/api/v1/workloads/\(id)", token: Self.admin).tenant
            }
            #expect(try await tenant() == "bank")
            _ = try await harness.api.call(.delete, "/api/v1/namespace-mappings/shop-a", token: Self.admin)
            #expect(try await tenant() == "shop")
            let deleted = try await harness.api.call(.delete, "/api/v1/namespace-mappings/shop-%2A", token: Self.admin)
            #expect(deleted.status == 204)
            #expect(try await tenant() == nil)
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodMovedByAMappingIsAuditedWithItsPreviousTenant(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (_, stream, stored) = try await Self.withPods(harness, mappings: [],
                                                              [Self.pod("web-5", namespace: "shop-a", labels: ["app": "web"], ip: "10.0.9.5")])
            _ = try await Self.createMapping(harness.api, "shop-a", tenant: "shop")
            let events = try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?object=\(try #require(stored.first).id)",
                                                      token: Self.admin).items
            let moved = try #require(events.first { $0.action == "workload.updated" })
            #expect(moved.tenant == "shop")
            #expect(moved.details == ["via": "namespace-mapping", "namespace_mapping": "shop-a (created)", "tenant": "shop", "previous_tenant": "", "auth": "api_token"])
            await stream.close()
        }
    }

    // MARK: The namespace as a selector

    @Test(arguments: StoreKind.available)
    func theNamespaceSelectorSelectsOnlyThatNamespacesPodsAndNoLabelFakesIt(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let faker = Tapster_Agent_V1_WorkloadReport.netns("faker", labels: ["k8s.namespace": "shop-a"], ips: ["10.0.9.9"])
            let (_, stream, stored) = try await Self.withPods(harness, [
                Self.pod("web-5", namespace: "shop-a", labels: ["app": "web", "k8s.namespace": "blog"], ip: "10.0.9.5"),
                Self.pod("fake", namespace: "shop-b", labels: ["app": "web", "k8s.namespace": "shop-a"], ip: "10.0.9.6"),
                faker,
            ])
            #expect(stored.first { $0.name == "shop-a/web-5" }?.labels == ["app": "web", "k8s.namespace": "shop-a"])
            #expect(try await Self.workloads(harness.api, token: Self.admin, query: "?selector=k8s.namespace%3Dshop-a").map(\.name) == ["shop-a/web-5"])
            #expect(try await Self.workloads(harness.api, token: Self.admin, query: "?namespace=shop-a").map(\.name) == ["shop-a/web-5"])
            await stream.close()
        }
    }

    @Test(arguments: StoreKind.available)
    func aReportedPodCarriesItsPlatformInTheAPI(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let (_, stream, stored) = try await Self.withPods(harness, [Self.pod("web-5", namespace: "shop-a", labels: ["app": "web"], ip: "10.0.9.5")])
            let reply = try await harness.api.call(.get, "/api/v1/workloads/\(try #require(stored.first).id)", token: Self.admin)
            #expect(reply.text.contains(#""platform":{"host_network":false,"namespace":"shop-a","runtime":"cri","uid":"uid-web-5"}"#))
            #expect(try reply.decode(Workload.self).platform == WorkloadPlatform(runtime: "cri", namespace: "shop-a", uid: "uid-web-5"))
            await stream.close()
        }
    }
}
