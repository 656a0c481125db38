import Foundation
import HTTPTypes
import TapsterCore
import TapsterServer
import TapsterTestSupport
import Testing

/// A `port` target an admin made shows through the Neutron API as a tap service of its tenant, but only
/// admins change or delete it; a tap service an owner made through the Neutron API stays the tenant's.
@Suite struct NeutronOwnershipTests {
    @Test(arguments: StoreKind.available)
    func anOwnerCannotDeleteOrRenameAnAdminsPortTargetThroughNeutron(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let target = try await api.expect(Target.self, .post, "/api/v1/targets", token: f.admin,
                                              json: TargetSpec(name: "shop-monitor", tenant: "shop", kind: .port, portId: f.shopMonitor))
            let path = "/v2.0/taas/tap_services/\(target.id)"
            #expect(try await neutron.call(.get, path, token: f.alice).status == 200)
            let message = try await neutron.failure(403, "PolicyNotAuthorized", .delete, path, token: f.alice)
            #expect(message == "this tap service was made by an admin; only admins change or delete it")
            try await neutron.failure(403, "PolicyNotAuthorized", .put, path, token: f.alice, json: #"{"tap_service": {"name": "mine"}}"#)
            #expect(try await api.call(.get, "/api/v1/targets/shop-monitor", token: f.admin).status == 200)
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherOwnerOfTheTenantDeletesATapServiceAnOwnerMadeThroughNeutron(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let id = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            #expect(try await neutron.call(.delete, "/v2.0/taas/tap_services/\(id)", token: f.dave).status == 204)
        }
    }
}
