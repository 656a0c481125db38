import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Namespace mappings and pods' platform identities, stored on SQLite and PostgreSQL.
@Suite struct NamespaceMappingStoreTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func mapping(_ pattern: String, tenant: String) -> NamespaceMapping {
        NamespaceMapping(createdAt: start, spec: NamespaceMappingSpec(pattern: pattern, tenant: tenant))
    }

    @Test(arguments: StoreKind.available)
    func aMappingIsFoundByIdAndByPatternAndListedByTenant(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let shop = Self.mapping("shop-*", tenant: "shop"), blog = Self.mapping("blog", tenant: "blog")
            try await db.store.insert(shop, into: .namespaceMappings)
            try await db.store.insert(blog, into: .namespaceMappings)
            #expect(try await db.store.find(shop.id, in: .namespaceMappings) == shop)
            #expect(try await db.store.find("shop-*", in: .namespaceMappings) == shop)
            #expect(try await db.store.list(.namespaceMappings, tenants: nil) == [blog, shop])
            #expect(try await db.store.list(.namespaceMappings, tenants: ["shop"]) == [shop])
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondMappingOfTheSamePatternIsAlreadyExists(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Self.mapping("shop-*", tenant: "shop"), into: .namespaceMappings)
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.insert(Self.mapping("shop-*", tenant: "blog"), into: .namespaceMappings)
            }
            #expect(error == TapsterError(.alreadyExists, "namespace mapping \"shop-*\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodsPlatformIdentityIsStoredWithIt(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let pod = Workload(createdAt: Self.start, spec: WorkloadSpec(
                name: "shop-a/web-1", kind: .pod, host: "node-1", tenant: "shop", labels: ["app": "web", "k8s.namespace": "shop-a"],
                netns: "/var/run/netns/cni-1", reportedBy: "node-1",
                platform: WorkloadPlatform(runtime: "cri", namespace: "shop-a", uid: "0b5e-11", hostNetwork: false)))
            try await db.store.insert(pod, into: .workloads)
            #expect(try await db.store.find("node-1/shop-a/web-1", in: .workloads) == pod)
            #expect(try await db.store.listWorkloads(onHost: "node-1") == [pod])
        }
    }
}
