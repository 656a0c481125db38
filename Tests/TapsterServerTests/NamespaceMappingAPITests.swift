import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// `/namespace-mappings`: admins map Kubernetes namespaces to tenants; what is refused, who sees which
/// mapping, and what a mapping decides for a pod registered by hand — over HTTP, on every store.
@Suite struct NamespaceMappingAPITests {
    static let admin = TestServer.adminToken
    static let path = "/api/v1/namespace-mappings"

    @Test(arguments: StoreKind.available)
    func anInvalidPatternIsRefusedNamingThePattern(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            let refused = try await api.failure(.post, Self.path, token: Self.admin, raw: #"{"pattern": "Shop_*", "tenant": "shop"}"#)
            #expect(refused.status == 400)
            #expect(refused.error.code == .invalidArgument && refused.error.field == "pattern")
            #expect(refused.error.message.hasPrefix("pattern: \"Shop_*\" must be 1–63 lowercase letters, digits, '-' and '*'"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aMappingToATenantThatDoesNotExistIsRefused(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let refused = try await api.failure(.post, Self.path, token: Self.admin, raw: #"{"pattern": "shop-*", "tenant": "nowhere"}"#)
            #expect(refused.status == 400)
            #expect(refused.error == TapsterError.invalid("tenant", "tenant \"nowhere\" does not exist"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondMappingOfThePatternIsAlreadyExists(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            _ = try await api.expect(NamespaceMapping.self, .post, Self.path, token: Self.admin, json: NamespaceMappingSpec(pattern: "shop-*", tenant: "shop"))
            let refused = try await api.failure(.post, Self.path, token: Self.admin, json: NamespaceMappingSpec(pattern: "shop-*", tenant: "bank"))
            #expect(refused.status == 409)
            #expect(refused.error == TapsterError(.alreadyExists, "namespace mapping \"shop-*\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerSeesOnlyTheMappingsOfTheirTenants(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            for (pattern, tenant) in [("shop-*", "shop"), ("bank-*", "bank")] {
                _ = try await api.expect(NamespaceMapping.self, .post, Self.path, token: Self.admin, json: NamespaceMappingSpec(pattern: pattern, tenant: tenant))
            }
            #expect(try await api.expect(ItemList<NamespaceMapping>.self, .get, Self.path, token: fixture.alice).items.map(\.pattern) == ["shop-*"])
            #expect(try await api.expect(ItemList<NamespaceMapping>.self, .get, Self.path, token: fixture.audrey).items.map(\.pattern) == ["bank-*", "shop-*"])
            let hidden = try await api.failure(.get, Self.path + "/shop-%2A", token: fixture.bob)
            #expect(hidden.status == 404 && hidden.error == TapsterError.notFound("namespace-mapping", "shop-*"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aTenantWithMappingsCannotBeDeleted(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: Self.admin, json: TenantSpec(name: "blog"))
            _ = try await api.expect(NamespaceMapping.self, .post, Self.path, token: Self.admin, json: NamespaceMappingSpec(pattern: "blog", tenant: "blog"))
            let refused = try await api.failure(.delete, "/api/v1/tenants/blog", token: Self.admin)
            #expect(refused.status == 409)
            #expect(refused.error == TapsterError(.inUse, "tenant \"blog\" still has namespace mappings: blog"))
        }
    }

    @Test(arguments: StoreKind.available)
    func creatingAMappingIsAuditedInItsTenant(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            let mapping = try await api.expect(NamespaceMapping.self, .post, Self.path, token: Self.admin,
                                               json: NamespaceMappingSpec(pattern: "shop-*", tenant: "shop"))
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?object=\(mapping.id)", token: Self.admin).items
            #expect(events.map(\.action) == ["namespace-mapping.created"])
            #expect(events.first?.objectName == "shop-*" && events.first?.tenant == "shop" && events.first?.objectType == "namespace-mapping")
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodRegisteredByHandTakesItsTenantFromTheMappings(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            _ = try await api.expect(NamespaceMapping.self, .post, Self.path, token: Self.admin, json: NamespaceMappingSpec(pattern: "shop-*", tenant: "shop"))
            let pod = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: Self.admin, json: WorkloadSpec(
                name: "shop-a/web-1", kind: .pod, host: "node-1", labels: ["app": "web", "tenant": "bank"],
                platform: WorkloadPlatform(runtime: "cri", namespace: "shop-a")))
            #expect(pod.tenant == "shop")
            #expect(pod.labels == ["app": "web", "tenant": "bank", "k8s.namespace": "shop-a"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aPodRegisteredByHandMayNotNameItsTenant(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            let refused = try await api.failure(.post, "/api/v1/workloads", token: Self.admin, json: WorkloadSpec(
                name: "shop-a/web-1", kind: .pod, host: "node-1", tenant: "bank", platform: WorkloadPlatform(runtime: "cri", namespace: "shop-a")))
            #expect(refused.status == 400 && refused.error.code == .invalidArgument && refused.error.field == "tenant")
        }
    }
}
