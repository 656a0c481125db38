import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterTestSupport

/// Tap services: `port` targets, created by owners into their own tenant's ports.
@Suite struct NeutronTapServiceTests {
    @Test(arguments: StoreKind.available)
    func ownerCreatesListsShowsUpdatesAndDeletesATapService(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let created = try await neutron.expect(201, .post, "/v2.0/taas/tap_services", token: f.alice, json: """
                {"tap_service": {"name": "monitor", "description": "IDS VM", "port_id": "\(f.shopMonitor)", "network_id": "ignored"}}
                """, member: "tap_service")
            let id = try #require(created["id"] as? String)
            #expect(Identifier.isIdentifier(id))
            #expect(created["name"] as? String == "monitor")
            #expect(created["description"] as? String == "IDS VM")
            #expect(created["port_id"] as? String == f.shopMonitor)
            #expect(created["tenant_id"] as? String == "shop")
            #expect(created["project_id"] as? String == "shop")
            #expect(created["status"] as? String == "ACTIVE")

            let list = try await neutron.call(.get, "/v2.0/taas/tap_services", token: f.alice)
            #expect(list.status == 200)
            #expect(list.ids("tap_services") == [id])
            let shown = try await neutron.expect(200, .get, "/v2.0/taas/tap_services/\(id)", token: f.alice, member: "tap_service")
            #expect(shown["name"] as? String == "monitor")

            let updated = try await neutron.expect(200, .put, "/v2.0/taas/tap_services/\(id)", token: f.alice,
                                                   json: #"{"tap_service": {"name": "ids", "description": "Suricata"}}"#, member: "tap_service")
            #expect(updated["name"] as? String == "ids")
            #expect(updated["description"] as? String == "Suricata")
            #expect(updated["port_id"] as? String == f.shopMonitor)

            let deleted = try await neutron.call(.delete, "/v2.0/taas/tap_services/\(id)", token: f.alice)
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            try await neutron.failure(404, "TapServiceNotFound", .get, "/v2.0/taas/tap_services/\(id)", token: f.alice)
            try await neutron.failure(404, "TapServiceNotFound", .delete, "/v2.0/taas/tap_services/\(id)", token: f.alice)
        }
    }

    @Test(arguments: StoreKind.available)
    func bothSpellingsOfTheCollectionServeTheSameObjects(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let created = try await neutron.expect(201, .post, "/v2.0/taas/tap-services", token: f.alice,
                                                   json: #"{"tap_service": {"port_id": "\#(f.shopMonitor)"}}"#, member: "tap_service")
            let id = try #require(created["id"] as? String)
            #expect(created["name"] as? String == "")
            #expect(created["description"] as? String == "")
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_services", token: f.alice).ids("tap_services") == [id])
            #expect(try await neutron.call(.get, "/v2.0/taas/tap-services", token: f.alice).ids("tap_services") == [id])
            _ = try await neutron.expect(200, .get, "/v2.0/taas/tap-services/\(id)", token: f.alice, member: "tap_service")
            #expect(try await neutron.call(.delete, "/v2.0/taas/tap-services/\(id)", token: f.alice).status == 204)
        }
    }

    @Test(arguments: StoreKind.available)
    func theNativeAPIShowsATapServiceAsAPortTargetOfTheTenant(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let id = try await f.service(neutron, on: f.shopMonitor, token: f.alice, name: "Monitor VM")
            let target = try await api.expect(Target.self, .get, "/api/v1/targets/\(id)", token: f.alice)
            #expect(target.kind == .port)
            #expect(target.portId == f.shopMonitor)
            #expect(target.tenant == "shop")
            #expect(target.name == "taas-svc-\(id.prefix(8))")
            #expect(target.annotations?["neutron.name"] == "Monitor VM")
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(id)", token: f.admin)
            #expect(events.items.map(\.action) == ["target.created"])
            #expect(events.items.first?.actor == "alice")
            #expect(events.items.first?.details["api"] == "neutron")
            // …and other tenants see neither.
            #expect(try await api.failure(.get, "/api/v1/targets/\(id)", token: f.bob).status == 404)
            try await neutron.failure(404, "TapServiceNotFound", .get, "/v2.0/taas/tap_services/\(id)", token: f.bob)
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_services", token: f.bob).ids("tap_services").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func listsAreFilteredByNameAndId(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let first = try await f.service(neutron, on: f.shopMonitor, token: f.alice, name: "one")
            let second = try await f.service(neutron, on: f.shopApp, token: f.alice, name: "two")
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_services?name=two", token: f.alice).ids("tap_services") == [second])
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_services?id=\(first)", token: f.alice).ids("tap_services") == [first])
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_services?id=\(first)&id=\(second)", token: f.alice)
                .ids("tap_services") == [first, second])
        }
    }

    @Test(arguments: StoreKind.available)
    func onlyNameAndDescriptionCanBeUpdated(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let id = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let message = try await neutron.failure(400, "HTTPBadRequest", .put, "/v2.0/taas/tap_services/\(id)", token: f.alice,
                                                    json: #"{"tap_service": {"port_id": "\#(f.shopApp)"}}"#)
            #expect(message.contains("port_id"))
            try await neutron.failure(400, "HTTPBadRequest", .put, "/v2.0/taas/tap_services/\(id)", token: f.alice, json: #"{"name": "x"}"#)
            try await neutron.failure(403, "PolicyNotAuthorized", .put, "/v2.0/taas/tap_services/\(id)", token: f.audrey,
                                      json: #"{"tap_service": {"name": "x"}}"#)
        }
    }

    @Test(arguments: StoreKind.available)
    func aTapServiceNeedsAPortOfItsOwnTenant(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let path = "/v2.0/taas/tap_services"
            // Another tenant's port is invisible to an owner.
            try await neutron.failure(404, "PortNotFound", .post, path, token: f.alice, json: #"{"tap_service": {"port_id": "\#(f.bankMonitor)"}}"#)
            // An owner may not act in another tenant.
            try await neutron.failure(403, "PolicyNotAuthorized", .post, path, token: f.alice,
                                      json: #"{"tap_service": {"port_id": "\#(f.shopMonitor)", "tenant_id": "bank"}}"#)
            // The port must belong to the service's tenant, even for admins and owners of both.
            try await neutron.failure(403, "PortDoesNotBelongToTenant", .post, path, token: f.admin,
                                      json: #"{"tap_service": {"port_id": "\#(f.bankMonitor)", "project_id": "shop"}}"#)
            try await neutron.failure(403, "PortDoesNotBelongToTenant", .post, path, token: f.dave,
                                      json: #"{"tap_service": {"port_id": "\#(f.bankMonitor)", "tenant_id": "shop"}}"#)
            try await neutron.failure(403, "PolicyNotAuthorized", .post, path, token: f.audrey, json: #"{"tap_service": {"port_id": "\#(f.shopMonitor)"}}"#)
            try await neutron.failure(400, "HTTPBadRequest", .post, path, token: f.alice, json: #"{"tap_service": {"name": "no port"}}"#)
            try await neutron.failure(400, "HTTPBadRequest", .post, path, token: f.alice, json: "not json")
            try await neutron.failure(404, "PortNotFound", .post, path, token: f.admin,
                                      json: #"{"tap_service": {"port_id": "55555555-5555-4555-8555-555555555555"}}"#)
            // Admins create into the port's tenant by default; owners of several tenants too.
            let admins = try await neutron.expect(201, .post, path, token: f.admin,
                                                  json: #"{"tap_service": {"port_id": "\#(f.bankMonitor)"}}"#, member: "tap_service")
            #expect(admins["tenant_id"] as? String == "bank")
            let daves = try await neutron.expect(201, .post, path, token: f.dave,
                                                 json: #"{"tap_service": {"port_id": "\#(f.shopApp)"}}"#, member: "tap_service")
            #expect(daves["tenant_id"] as? String == "shop")
        }
    }
}
