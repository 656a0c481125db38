import Foundation
import Testing
import TapsterCore

/// Whose a workload is (``WorkloadTenancy``): a pod's tenant only from the namespace mappings, any other
/// workload's from its `tenant` label; `k8s.namespace` is the server's label.
@Suite struct WorkloadTenancyTests {
    static let tenancy = WorkloadTenancy(tenants: ["shop", "blog", "shop-a-team"], mappings: [
        NamespaceMappingSpec(pattern: "shop-*", tenant: "shop"),
        NamespaceMappingSpec(pattern: "shop-a", tenant: "shop-a-team"),
        NamespaceMappingSpec(pattern: "blog*", tenant: "blog"),
        NamespaceMappingSpec(pattern: "gone-*", tenant: "deleted-tenant"),
    ])

    static func pod(_ namespace: String?, labels: [String: String] = ["app": "web"]) -> WorkloadSpec {
        WorkloadSpec(name: "\(namespace ?? "none")/web-1", kind: .pod, host: "node-1", labels: labels,
                     platform: WorkloadPlatform(runtime: WorkloadPlatform.cri, namespace: namespace, uid: "uid-1"))
    }

    @Test func aPodsTenantIsTheMatchingMappingsTenant() {
        #expect(Self.tenancy.applied(to: Self.pod("shop-b")).tenant == "shop")
        #expect(Self.tenancy.applied(to: Self.pod("blog")).tenant == "blog")
    }

    @Test func anExactMappingDecidesOverAGlob() {
        #expect(Self.tenancy.applied(to: Self.pod("shop-a")).tenant == "shop-a-team")
    }

    @Test func aPodsTenantLabelNeverChoosesItsTenant() {
        #expect(Self.tenancy.applied(to: Self.pod("shop-b", labels: ["tenant": "blog"])).tenant == "shop")
        #expect(Self.tenancy.applied(to: Self.pod("unmapped", labels: ["tenant": "blog"])).tenant == nil)
        #expect(Self.tenancy.applied(to: Self.pod(nil, labels: ["tenant": "blog"])).tenant == nil)
    }

    @Test func aMappingToATenantThatNoLongerExistsGivesNoTenant() {
        #expect(Self.tenancy.applied(to: Self.pod("gone-1")).tenant == nil)
    }

    @Test func aWorkloadThatIsNoPodKeepsItsTenantLabel() {
        let container = WorkloadSpec(name: "web", kind: .container, host: "node-1", labels: ["tenant": "blog"],
                                     platform: WorkloadPlatform(runtime: WorkloadPlatform.docker, uid: "abc", image: "nginx"))
        #expect(Self.tenancy.applied(to: container).tenant == "blog")
        let unknown = WorkloadSpec(name: "ns", kind: .netns, host: "node-1", labels: ["tenant": "nobody"])
        #expect(Self.tenancy.applied(to: unknown).tenant == nil)
    }

    @Test func everyPodIsLabelledWithItsNamespaceOverridingItsOwnLabel() {
        #expect(Self.tenancy.applied(to: Self.pod("shop-b", labels: ["app": "web", "k8s.namespace": "blog"])).labels
                == ["app": "web", "k8s.namespace": "shop-b"])
    }

    @Test func theNamespaceLabelIsRemovedFromEveryOtherWorkload() throws {
        let faked = WorkloadSpec(name: "ns", kind: .netns, host: "node-1", labels: ["app": "web", "k8s.namespace": "shop-b"])
        #expect(Self.tenancy.applied(to: faked).labels == ["app": "web"])
        #expect(Self.tenancy.applied(to: Self.pod(nil, labels: ["k8s.namespace": "shop-b"])).labels == [:])
        #expect(try Self.tenancy.registered(faked).labels == ["app": "web"])
    }

    @Test func aRegisteredPodMayNotNameItsTenant() throws {
        var pod = Self.pod("shop-b")
        pod.tenant = "blog"
        #expect(throws: TapsterError.invalid("tenant", "a pod's tenant comes from the namespace mappings of its Kubernetes namespace (tapster namespace-mapping), not from the request")) {
            try Self.tenancy.registered(pod)
        }
        #expect(try Self.tenancy.registered(Self.pod("shop-b")).tenant == "shop")
    }

    @Test func onlyPodsWhoseTenantTheRulesDecideOtherwiseAreMoved() {
        let t0 = Fixture.t0
        let staying = Workload(createdAt: t0, spec: Self.tenancy.applied(to: Self.pod("shop-b")))
        var moving = Workload(createdAt: t0, spec: Self.tenancy.applied(to: Self.pod("blog-2")))
        moving.spec.tenant = nil
        let netns = Workload(createdAt: t0, spec: WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop"))
        let moved = Self.tenancy.podsToMove([staying, moving, netns], at: t0.addingTimeInterval(60))
        #expect(moved.map(\.id) == [moving.id])
        #expect(moved.first?.tenant == "blog")
    }

    @Test func aMovedPodBelongsToItsTenantFromTheMoveOn() {
        var moving = Workload(createdAt: Fixture.t0, spec: Self.tenancy.applied(to: Self.pod("blog-2")))
        moving.spec.tenant = nil
        let moved = Self.tenancy.podsToMove([moving], at: Fixture.t0.addingTimeInterval(60))
        #expect(moved.first?.spec.tenantSince == Fixture.t0.addingTimeInterval(60))
        #expect(moved.first?.updatedAt == Fixture.t0.addingTimeInterval(60))
    }

    // MARK: Since when

    @Test func aNewWorkloadBelongsToItsTenantFromItsCreation() {
        var requested = WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop")
        requested.tenantSince = Date.distantPast  // what a request says is never taken
        #expect(requested.dated(after: nil, at: Fixture.t0).tenantSince == Fixture.t0)
    }

    @Test func aWorkloadKeepsItsTenancysDateWhileItsTenantStays() {
        let earlier = Workload(createdAt: Fixture.t0, spec: WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop")
            .dated(after: nil, at: Fixture.t0))
        let relabelled = WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop", labels: ["app": "web"])
        #expect(relabelled.dated(after: earlier, at: Fixture.t0.addingTimeInterval(60)).tenantSince == Fixture.t0)
    }

    @Test func aWorkloadWhoseTenantChangesBelongsToTheNewOneFromTheChangeOn() {
        let earlier = Workload(createdAt: Fixture.t0, spec: WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop")
            .dated(after: nil, at: Fixture.t0))
        let moved = WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "blog")
        #expect(moved.dated(after: earlier, at: Fixture.t0.addingTimeInterval(60)).tenantSince == Fixture.t0.addingTimeInterval(60))
    }

    @Test func aWorkloadStoredWithoutTheDateBelongsToItsTenantFromItsLastChange() {
        let legacy = Workload(createdAt: Fixture.t0, updatedAt: Fixture.t0.addingTimeInterval(30),
                              spec: WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop"))
        #expect(legacy.tenancyStart == Fixture.t0.addingTimeInterval(30))
        let unchanged = WorkloadSpec(name: "ns", kind: .netns, host: "node-1", tenant: "shop")
        #expect(unchanged.dated(after: legacy, at: Fixture.t0.addingTimeInterval(60)).tenantSince == Fixture.t0.addingTimeInterval(30))
    }

    @Test func aPodsNameInItsNamespaceDropsTheNamespacePrefix() {
        #expect(Self.pod("shop-b").nameInNamespace == "web-1")
        #expect(WorkloadSpec(name: "shop-b/web-1", kind: .container, host: "node-1").nameInNamespace == "shop-b/web-1")
    }
}
