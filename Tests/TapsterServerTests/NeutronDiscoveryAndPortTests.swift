import Foundation
import HTTPTypes
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterTestSupport

/// Version discovery, authentication and the read-only ports API of the Neutron compatibility layer.
@Suite struct NeutronDiscoveryAndPortTests {
    @Test(arguments: StoreKind.available)
    func versionDiscoveryNeedsNoTokenAndBrowsersStillGetThePortal(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, _, _ in
            for path in ["/", "/v2.0", "/v2.0/"] {
                let reply = try await neutron.call(.get, path, token: nil)
                #expect(reply.status == 200, "\(path): \(reply.text)")
                let versions = reply.list("versions")
                #expect(versions.count == 1)
                #expect(versions.first?["id"] as? String == "v2.0")
                #expect(versions.first?["status"] as? String == "CURRENT")
                let link = (versions.first?["links"] as? [[String: Any]])?.first
                #expect(link?["href"] as? String == "http://localhost/v2.0/")
                #expect(link?["rel"] as? String == "self")
            }
            let browser = try await neutron.call(.get, "/", token: nil, accept: "text/html,application/xhtml+xml")
            #expect(browser.list("versions").isEmpty)
            #expect((300..<400).contains(browser.status))
        }
    }

    @Test(arguments: StoreKind.available)
    func requestsWithoutOrWithABadTokenAre401InNeutronShape(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, _, _ in
            try await neutron.failure(401, "HTTPUnauthorized", .get, "/v2.0/ports", token: nil)
            try await neutron.failure(401, "HTTPUnauthorized", .get, "/v2.0/taas/tap_services", token: "tap_not_a_token")
        }
    }

    @Test(arguments: StoreKind.available)
    func ownersSeeOnlyPortsOfTheirTenantsWorkloads(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let alices = try await neutron.call(.get, "/v2.0/ports", token: f.alice)
            #expect(alices.status == 200)
            #expect(alices.ids("ports").contains(f.shopMonitor))
            #expect(alices.ids("ports").contains(f.shopApp))
            #expect(!alices.ids("ports").contains(f.bankLedger))
            #expect(alices.list("ports").allSatisfy { $0["tenant_id"] as? String == "shop" })
            let bobs = try await neutron.call(.get, "/v2.0/ports", token: f.bob)
            #expect(bobs.ids("ports") == [f.bankLedger, f.bankMonitor])
            let admins = try await neutron.call(.get, "/v2.0/ports", token: f.admin)
            #expect(admins.ids("ports").isSuperset(of: [f.shopMonitor, f.shopApp, f.bankLedger, f.bankMonitor]))
            try await neutron.failure(404, "PortNotFound", .get, "/v2.0/ports/\(f.bankLedger)", token: f.alice)
        }
    }

    @Test(arguments: StoreKind.available)
    func aPortShowsTheWorkloadInterface(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let port = try await neutron.expect(200, .get, "/v2.0/ports/\(f.shopApp)", token: f.alice, member: "port")
            let workload = try #require(try await api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads?host=node-2", token: f.admin)
                .items.first { $0.name == "app-1" })
            #expect(port["id"] as? String == f.shopApp)
            #expect(port["name"] as? String == "app-1/eth0")
            #expect(port["tenant_id"] as? String == "shop")
            #expect(port["project_id"] as? String == "shop")
            #expect(port["mac_address"] as? String == "02:00:00:00:00:02")
            #expect((port["fixed_ips"] as? [[String: String]]) == [["ip_address": "10.0.0.60"]])
            #expect(port["status"] as? String == "ACTIVE")
            #expect(port["device_id"] as? String == workload.id)
            #expect(port["binding:host_id"] as? String == "node-2")
        }
    }

    @Test(arguments: StoreKind.available)
    func portsAreFoundByNameAndIdQueriesAndDeviceOwnerIsIgnored(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let byName = try await neutron.call(.get, "/v2.0/ports?name=monitor-1/eth0", token: f.alice)
            #expect(byName.ids("ports") == [f.shopMonitor])
            let byID = try await neutron.call(.get, "/v2.0/ports?id=\(f.shopApp)&device_owner=compute:nova", token: f.alice)
            #expect(byID.ids("ports") == [f.shopApp])
            let none = try await neutron.call(.get, "/v2.0/ports?name=nothing", token: f.alice)
            #expect(none.status == 200)
            #expect(none.list("ports").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func unknownPathsUnderV2AreNeutronErrors(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            try await neutron.failure(404, "HTTPNotFound", .get, "/v2.0/networks", token: f.admin)
            // A known path with a method it does not have: 405, in Neutron's shape.
            try await neutron.failure(405, "HTTPMethodNotAllowed", .post, "/v2.0/ports", token: f.admin, json: "{}")
            try await neutron.failure(404, "TapFlowNotFound", .get, "/v2.0/taas/tap_flows/55555555-5555-4555-8555-555555555555", token: f.admin)
        }
    }
}
