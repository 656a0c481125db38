import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterTestSupport

/// Every list of the native API is paged with `limit` and `continue`: every item once, in one stable
/// order, pages cut from what the caller may see, and cursors only the server's — on every store.
@Suite struct ListPagingTests {
    /// Follows `continue` from the first page of `path` to the last, `limit` at a time.
    static func allPages<Item: Codable & Sendable>(_ api: API, _ path: String, of type: Item.Type, limit: Int,
                                                     token: String) async throws -> [[Item]] {
        var pages: [[Item]] = []
        var next: String?
        repeat {
            let query = "?limit=\(limit)" + (next.map { "&continue=\($0)" } ?? "")
            let page = try await api.expect(ItemList<Item>.self, .get, path + query, token: token)
            pages.append(page.items)
            next = page.continueToken
        } while next != nil
        return pages
    }

    /// Workloads of shop and bank whose names interleave, so that a page cut before the tenant filter would mix them.
    static func interleavedWorkloads(_ api: API, _ fixture: Fixture) async throws {
        for index in 0..<6 {
            let tenant = index.isMultiple(of: 2) ? "shop" : "bank"
            _ = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: fixture.admin, json: WorkloadSpec(
                name: "w\(index)", kind: .netns, host: "node-3", tenant: tenant, labels: ["app": "batch"]))
        }
    }

    @Test(arguments: StoreKind.available)
    func pagingAListLongerThanTheLimitYieldsEveryItemOnceInOrder(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            for name in ["t-e", "t-a", "t-d", "t-c", "t-b"] {
                _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: fixture.admin, json: TenantSpec(name: name))
            }
            let pages = try await Self.allPages(api, "/api/v1/tenants", of: Tenant.self, limit: 2, token: fixture.admin)
            #expect(pages.map(\.count) == [2, 2, 2, 1])
            #expect(pages.flatMap { $0 }.map(\.name) == ["bank", "shop", "t-a", "t-b", "t-c", "t-d", "t-e"])
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnersPageHoldsExactlyLimitOfHerTenantsObjectsAndNoOthers(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            try await Self.interleavedWorkloads(api, fixture)
            let first = try await api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads?limit=3", token: fixture.alice)
            #expect(first.items.count == 3)
            #expect(first.items.allSatisfy { $0.tenant == "shop" })
            let pages = try await Self.allPages(api, "/api/v1/workloads", of: Workload.self, limit: 3, token: fixture.alice)
            #expect(pages.map(\.count) == [3, 3])
            #expect(pages.flatMap { $0 }.map { "\($0.host)/\($0.name)" } == ["node-1/web-1", "node-2/db-1", "node-2/web-2", "node-3/w0", "node-3/w2", "node-3/w4"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aListThatFitsOnOnePageHasNoContinueField(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let reply = try await api.call(.get, "/api/v1/tenants", token: TestServer.adminToken)
            #expect(reply.status == 200)
            #expect(reply.text == #"{"items":[]}"#)
        }
    }

    @Test(arguments: StoreKind.available)
    func newestFirstListsPageFromTheNewest(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            var opened: [String] = []
            for _ in 0..<3 {
                let tap = try await fixture.aliceTap(api).tap
                _ = try await api.expect(Tap.self, .post, "/api/v1/taps/\(tap.id)/stop", token: fixture.alice)
                opened.append(tap.id)
            }
            let pages = try await Self.allPages(api, "/api/v1/taps", of: Tap.self, limit: 2, token: fixture.alice)
            #expect(pages.flatMap { $0 }.map(\.id) == opened.reversed())
        }
    }

    @Test(arguments: ["0", "1001", "ten"])
    func aBadLimitIsABadRequest(limit: String) async throws {
        try await TestServer.run(.sqlite) { api, _ in
            let (status, error) = try await api.failure(.get, "/api/v1/targets?limit=\(limit)", token: TestServer.adminToken)
            #expect(status == 400)
            #expect(error == TapsterError(.badRequest, "limit: \"\(limit)\" is not a whole number from 1 to 1000", field: "limit"))
        }
    }

    @Test func aContinueTokenTheServerDidNotMakeIsABadRequest() async throws {
        try await TestServer.run(.sqlite) { api, _ in
            let (status, error) = try await api.failure(.get, "/api/v1/targets?continue=forged", token: TestServer.adminToken)
            #expect(status == 400)
            #expect(error.code == .badRequest)
            #expect(error.field == "continue")
        }
    }

    @Test func aContinueTokenOfAnotherListIsABadRequest() async throws {
        try await TestServer.run(.sqlite) { api, _ in
            let fixture = try await Fixture.make(api)
            let targets = try await api.expect(ItemList<Target>.self, .get, "/api/v1/targets?limit=1", token: fixture.admin)
            let token = try #require(targets.continueToken)
            let (status, error) = try await api.failure(.get, "/api/v1/filters?continue=\(token)", token: fixture.admin)
            #expect(status == 400)
            #expect(error.code == .badRequest)
        }
    }
}
