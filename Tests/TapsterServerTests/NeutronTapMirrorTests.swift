import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterTestSupport

/// Tap mirrors: per direction, a tunnel target (ERSPAN II or GRE), an implicit filter and a tap. Admins only.
@Suite struct NeutronTapMirrorTests {
    static func body(port: String, directions: String, type: String = "erspanv1", remote: String = "192.0.2.99") -> String {
        #"{"tap_mirror": {"name": "to-ids", "description": "mirror", "port_id": "\#(port)", "directions": \#(directions), "remote_ip": "\#(remote)", "mirror_type": "\#(type)"}}"#
    }

    @Test(arguments: StoreKind.available)
    func ownersMayNotCreateMirrorsAdminsMay(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let body = Self.body(port: f.shopApp, directions: #"{"IN": 101, "OUT": 102}"#)
            try await neutron.failure(403, "PolicyNotAuthorized", .post, "/v2.0/taas/tap_mirrors", token: f.alice, json: body)
            let mirror = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin, json: body, member: "tap_mirror")
            let id = try #require(mirror["id"] as? String)
            #expect(mirror["directions"] as? [String: Int] == ["IN": 101, "OUT": 102])
            #expect(mirror["mirror_type"] as? String == "erspanv1")
            #expect(mirror["remote_ip"] as? String == "192.0.2.99")
            #expect(mirror["port_id"] as? String == f.shopApp)
            #expect(mirror["tenant_id"] as? String == "shop")
            #expect(mirror["name"] as? String == "to-ids")
            #expect(mirror["status"] as? String == "ACTIVE")

            // One ERSPAN type II target per direction, session id = tunnel id, and a tap each.
            let targets = try await api.expect(ItemList<Target>.self, .get, "/api/v1/targets", token: f.admin).items
                .filter { $0.annotations?["neutron.id"] == id }
            #expect(targets.map(\.kind) == [.erspan, .erspan])
            #expect(Set(targets.compactMap(\.sessionId)) == [101, 102])
            #expect(targets.allSatisfy { $0.erspanVersion == 2 && $0.destination?.description == "192.0.2.99" })
            let taps = try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps?state=active", token: f.admin).items
                .filter { tap in targets.contains { $0.name == tap.target } }
            #expect(taps.count == 2)

            // Owners of the tenant may read it.
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_mirrors", token: f.alice).ids("tap_mirrors") == [id])
            #expect(try await neutron.call(.get, "/v2.0/taas/tap-mirrors", token: f.bob).ids("tap_mirrors").isEmpty)
            try await neutron.failure(403, "PolicyNotAuthorized", .delete, "/v2.0/taas/tap_mirrors/\(id)", token: f.alice)
        }
    }

    @Test(arguments: StoreKind.available)
    func aTunnelIdUsedByAnotherMirrorIsAConflict(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            _ = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                         json: Self.body(port: f.shopApp, directions: #"{"IN": 101, "OUT": 102}"#), member: "tap_mirror")
            try await neutron.failure(409, "TapMirrorTunnelConflict", .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                      json: Self.body(port: f.bankLedger, directions: #"{"OUT": 102}"#))
            try await neutron.failure(409, "TapMirrorTunnelConflict", .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                      json: Self.body(port: f.bankLedger, directions: #"{"IN": 101}"#, type: "gre"))
            let other = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                                 json: Self.body(port: f.bankLedger, directions: #"{"IN": 103}"#), member: "tap_mirror")
            #expect(other["tenant_id"] as? String == "bank")
        }
    }

    @Test(arguments: StoreKind.available)
    func aGREMirrorUsesTheTunnelIdAsKey(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let mirror = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                                  json: Self.body(port: f.shopApp, directions: #"{"OUT": 70000}"#, type: "gre"), member: "tap_mirror")
            let id = try #require(mirror["id"] as? String)
            #expect(mirror["mirror_type"] as? String == "gre")
            #expect(mirror["directions"] as? [String: Int] == ["OUT": 70000])
            let targets = try await api.expect(ItemList<Target>.self, .get, "/api/v1/targets", token: f.admin).items
                .filter { $0.annotations?["neutron.id"] == id }
            #expect(targets.map(\.kind) == [.gre])
            #expect(targets.first?.greKey == 70000)
            let filters = try await api.expect(ItemList<FilterView>.self, .get, "/api/v1/filters", token: f.admin).items
                .filter { $0.filter.annotations?["neutron.id"] == id }
            #expect(filters.map(\.filter.direction) == [.out])
            #expect(filters.first?.filter.ports == [f.shopApp])
        }
    }

    @Test(arguments: StoreKind.available)
    func tunnelIdsMayBeStringsAsTheOpenstackClientSendsThem(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let mirror = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                                  json: Self.body(port: f.shopApp, directions: #"{"IN": "102"}"#), member: "tap_mirror")
            #expect(mirror["directions"] as? [String: Int] == ["IN": 102])
        }
    }

    @Test(arguments: StoreKind.available)
    func invalidMirrorsAre400(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            for body in [Self.body(port: f.shopApp, directions: #"{"BOTH": 5}"#),
                         Self.body(port: f.shopApp, directions: #"{}"#),
                         Self.body(port: f.shopApp, directions: #"{"IN": 1024}"#),
                         Self.body(port: f.shopApp, directions: #"{"IN": 0}"#),
                         Self.body(port: f.shopApp, directions: #"{"IN": "x"}"#),
                         Self.body(port: f.shopApp, directions: #"{"IN": 5}"#, type: "vxlan"),
                         Self.body(port: f.shopApp, directions: #"{"IN": 5}"#, remote: "not-an-ip"),
                         #"{"tap_mirror": {"port_id": "\#(f.shopApp)", "mirror_type": "gre", "remote_ip": "192.0.2.1"}}"#] {
                try await neutron.failure(400, "HTTPBadRequest", .post, "/v2.0/taas/tap_mirrors", token: f.admin, json: body)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAMirrorStopsItsTapsAndRemovesItsParts(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let mirror = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                                  json: Self.body(port: f.shopApp, directions: #"{"IN": 101, "OUT": 102}"#), member: "tap_mirror")
            let id = try #require(mirror["id"] as? String)
            let renamed = try await neutron.expect(200, .put, "/v2.0/taas/tap_mirrors/\(id)", token: f.admin,
                                                   json: #"{"tap_mirror": {"name": "renamed"}}"#, member: "tap_mirror")
            #expect(renamed["name"] as? String == "renamed")
            #expect(renamed["directions"] as? [String: Int] == ["IN": 101, "OUT": 102])
            #expect(try await neutron.call(.delete, "/v2.0/taas/tap_mirrors/\(id)", token: f.admin).status == 204)
            try await neutron.failure(404, "TapMirrorNotFound", .get, "/v2.0/taas/tap_mirrors/\(id)", token: f.admin)
            let targets = try await api.expect(ItemList<Target>.self, .get, "/api/v1/targets", token: f.admin).items
            #expect(!targets.contains { $0.annotations?["neutron.id"] == id })
            #expect(try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps?state=active", token: f.admin).items.isEmpty)
            // Its tunnel ids are free again.
            _ = try await neutron.expect(201, .post, "/v2.0/taas/tap_mirrors", token: f.admin,
                                         json: Self.body(port: f.shopApp, directions: #"{"IN": 101}"#), member: "tap_mirror")
        }
    }
}
