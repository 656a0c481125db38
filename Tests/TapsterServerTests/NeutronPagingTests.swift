import Foundation
import HTTPTypes
import Testing
import TapsterCore
import TapsterTestSupport

/// Neutron lists page as Neutron does: `limit` and `marker` (ids in ascending order), a `next` link
/// while more follow, a `previous` link back, `page_reverse` — on every store.
@Suite struct NeutronPagingTests {
    /// The `href` of the link `rel` in `<collection>_links`.
    static func link(_ reply: NeutronAPI.Reply, _ collection: String, _ rel: String) -> String? {
        (reply.object[collection + "_links"] as? [[String: Any]])?.first { $0["rel"] as? String == rel }?["href"] as? String
    }

    @Test(arguments: StoreKind.available)
    func limitAndMarkerPageTapServicesWithANextLink(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            var ids: [String] = []
            for index in 0..<3 { ids.append(try await f.service(neutron, on: f.shopMonitor, token: f.alice, name: "svc-\(index)")) }
            ids.sort()

            let first = try await neutron.call(.get, "/v2.0/taas/tap_services?limit=2", token: f.alice)
            #expect(first.status == 200)
            #expect(first.list("tap_services").compactMap { $0["id"] as? String } == Array(ids.prefix(2)))
            let next = try #require(Self.link(first, "tap_services", "next"))
            #expect(next == "/v2.0/taas/tap_services?limit=2&marker=\(ids[1])")
            #expect(Self.link(first, "tap_services", "previous") == nil)

            let second = try await neutron.call(.get, next, token: f.alice)
            #expect(second.list("tap_services").compactMap { $0["id"] as? String } == [ids[2]])
            #expect(Self.link(second, "tap_services", "next") == nil)
            #expect(Self.link(second, "tap_services", "previous") == "/v2.0/taas/tap_services?limit=2&marker=\(ids[2])&page_reverse=True")

            let back = try await neutron.call(.get, "/v2.0/taas/tap_services?limit=2&marker=\(ids[2])&page_reverse=True", token: f.alice)
            #expect(back.list("tap_services").compactMap { $0["id"] as? String } == Array(ids.prefix(2)))
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnpagedListHasNoLinks(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            _ = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let reply = try await neutron.call(.get, "/v2.0/taas/tap_services", token: f.alice)
            #expect(reply.object.keys.sorted() == ["tap_services"])
        }
    }

    @Test func aPageOfPortsHoldsOnlyTheCallersTenants() async throws {
        try await withNeutronServer(.sqlite) { _, neutron, f, _ in
            let reply = try await neutron.call(.get, "/v2.0/ports?limit=1", token: f.alice)
            let ports = reply.list("ports")
            #expect(ports.count == 1)
            #expect(ports.allSatisfy { $0["tenant_id"] as? String == "shop" })
        }
    }

    @Test(arguments: ["limit=-1", "limit=two", "marker=not-an-id", "page_reverse=maybe"])
    func aBadPagingParameterIsHTTPBadRequest(query: String) async throws {
        try await withNeutronServer(.sqlite) { _, neutron, f, _ in
            try await neutron.failure(400, "HTTPBadRequest", .get, "/v2.0/taas/tap_services?\(query)", token: f.alice)
        }
    }
}
