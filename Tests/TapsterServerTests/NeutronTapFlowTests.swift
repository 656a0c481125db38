import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterServer
import TapsterTestSupport

/// Tap flows: an implicit filter on the source port and a native tap into the tap service.
@Suite struct NeutronTapFlowTests {
    @Test(arguments: StoreKind.available)
    func aFlowIsAFilterOnTheSourcePortAndATapIntoTheService(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let before = Date()
            let flow = try await f.flow(neutron, from: f.shopApp, into: service, token: f.alice, direction: "IN",
                                        extra: #", "vlan_filter": "189,279,999-1008", "description": "app ingress""#)
            let after = Date()
            let id = try #require(flow["id"] as? String)
            #expect(flow["tap_service_id"] as? String == service)
            #expect(flow["source_port"] as? String == f.shopApp)
            #expect(flow["direction"] as? String == "IN")
            #expect(flow["vlan_filter"] as? String == "189,279,999-1008")
            #expect(flow["status"] as? String == "ACTIVE")
            #expect(flow["tenant_id"] as? String == "shop")
            #expect(flow["name"] as? String == "flow")
            #expect(flow["description"] as? String == "app ingress")

            let tap = try await api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: f.alice)
            #expect(tap.state == .active)
            #expect(tap.owner == "alice")
            #expect(tap.tenant == "shop")
            #expect(tap.duration == NeutronService.neutronTapDuration)
            #expect(tap.deadline >= before.addingTimeInterval(86_400 - 0.001) && tap.deadline <= after.addingTimeInterval(86_400),
                    "\(tap.deadline) for a call from \(before) to \(after)")
            #expect(tap.matchedWorkloads == 1)
            let target = try await api.expect(Target.self, .get, "/api/v1/targets/\(service)", token: f.alice)
            #expect(tap.target == target.name)
            let filter = try await api.expect(FilterView.self, .get, "/api/v1/filters/\(tap.filter)", token: f.alice)
            #expect(filter.filter.ports == [f.shopApp])
            #expect(filter.filter.selector.isEmpty)
            #expect(filter.filter.direction == .in)
            #expect(filter.filter.tenant == "shop")
            #expect(filter.filter.bpf == "vlan and (ether[14:2] & 0xfff = 189 or ether[14:2] & 0xfff = 279 or (ether[14:2] & 0xfff >= 999 and ether[14:2] & 0xfff <= 1008))")
            #expect(filter.matches == FilterMatches(workloads: 1, hosts: 1))

            for path in ["/v2.0/taas/tap_flows", "/v2.0/taas/tap-flows"] {
                #expect(try await neutron.call(.get, path, token: f.alice).ids("tap_flows") == [id])
            }
            let shown = try await neutron.expect(200, .get, "/v2.0/taas/tap_flows/\(id)", token: f.alice, member: "tap_flow")
            #expect(shown["vlan_filter"] as? String == "189,279,999-1008")
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(id)", token: f.admin)
            #expect(events.items.map(\.action) == ["tap.created"])
            #expect(events.items.first?.details["api"] == "neutron")
        }
    }

    @Test(arguments: StoreKind.available)
    func aFlowWithoutVLANFilterShowsNull(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let flow = try await neutron.call(.post, "/v2.0/taas/tap_flows", token: f.alice, json: """
                {"tap_flow": {"tap_service_id": "\(service)", "source_port": "\(f.shopApp)", "direction": "BOTH"}}
                """)
            #expect(flow.status == 201)
            #expect(flow.member("tap_flow")["vlan_filter"] is NSNull)
            #expect(flow.member("tap_flow")["direction"] as? String == "BOTH")
        }
    }

    @Test(arguments: StoreKind.available)
    func invalidFlowsAre400(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            for vlan in ["0", "4095", "10-5", "1,,2", "abc", "", "1-2-3", " 5"] {
                try await neutron.failure(400, "HTTPBadRequest", .post, "/v2.0/taas/tap_flows", token: f.alice, json: """
                    {"tap_flow": {"tap_service_id": "\(service)", "source_port": "\(f.shopApp)", "direction": "IN", "vlan_filter": "\(vlan)"}}
                    """)
            }
            for body in [#"{"source_port": "\#(f.shopApp)", "direction": "IN"}"#,
                         #"{"tap_service_id": "\#(service)", "direction": "IN"}"#,
                         #"{"tap_service_id": "\#(service)", "source_port": "\#(f.shopApp)"}"#,
                         #"{"tap_service_id": "\#(service)", "source_port": "\#(f.shopApp)", "direction": "in"}"#] {
                try await neutron.failure(400, "HTTPBadRequest", .post, "/v2.0/taas/tap_flows", token: f.alice, json: #"{"tap_flow": \#(body)}"#)
            }
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_flows", token: f.alice).list("tap_flows").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFlowMustStayInsideOneTenant(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let shopService = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let bankService = try await f.service(neutron, on: f.bankMonitor, token: f.bob)
            let path = "/v2.0/taas/tap_flows"
            // Another tenant's service is invisible to an owner of one tenant.
            try await neutron.failure(404, "TapServiceNotFound", .post, path, token: f.alice, json: """
                {"tap_flow": {"tap_service_id": "\(bankService)", "source_port": "\(f.shopApp)", "direction": "IN"}}
                """)
            // The flow's tenant must be its service's…
            try await neutron.failure(403, "TapServiceNotBelongToTenant", .post, path, token: f.dave, json: """
                {"tap_flow": {"tap_service_id": "\(bankService)", "source_port": "\(f.shopApp)", "direction": "IN", "tenant_id": "shop"}}
                """)
            // …and its source port's.
            try await neutron.failure(403, "PortDoesNotBelongToTenant", .post, path, token: f.admin, json: """
                {"tap_flow": {"tap_service_id": "\(shopService)", "source_port": "\(f.bankLedger)", "direction": "OUT"}}
                """)
            try await neutron.failure(404, "PortNotFound", .post, path, token: f.alice, json: """
                {"tap_flow": {"tap_service_id": "\(shopService)", "source_port": "\(f.bankLedger)", "direction": "OUT"}}
                """)
            try await neutron.failure(403, "PolicyNotAuthorized", .post, path, token: f.audrey, json: """
                {"tap_flow": {"tap_service_id": "\(shopService)", "source_port": "\(f.shopApp)", "direction": "OUT"}}
                """)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFlowGoesDownWhenItsTapIsStoppedNativelyAndStaysUntilDeleted(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let id = try #require(try await f.flow(neutron, from: f.shopApp, into: service, token: f.alice)["id"] as? String)
            _ = try await api.expect(Tap.self, .post, "/api/v1/taps/\(id)/stop", token: f.alice)
            let shown = try await neutron.expect(200, .get, "/v2.0/taas/tap_flows/\(id)", token: f.alice, member: "tap_flow")
            #expect(shown["status"] as? String == "DOWN")
            #expect(try await neutron.call(.get, "/v2.0/taas/tap_flows?status=DOWN", token: f.alice).ids("tap_flows") == [id])

            let filter = try await api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: f.alice).filter
            #expect(try await neutron.call(.delete, "/v2.0/taas/tap_flows/\(id)", token: f.alice).status == 204)
            try await neutron.failure(404, "TapFlowNotFound", .get, "/v2.0/taas/tap_flows/\(id)", token: f.alice)
            #expect(try await api.failure(.get, "/api/v1/filters/\(filter)", token: f.admin).status == 404)
            // The tap stays, as history.
            #expect(try await api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: f.alice).state == .stopped)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingALiveFlowStopsItsTapAsTheUser(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let id = try #require(try await f.flow(neutron, from: f.shopApp, into: service, token: f.alice)["id"] as? String)
            #expect(try await neutron.call(.delete, "/v2.0/taas/tap_flows/\(id)", token: f.alice).status == 204)
            let tap = try await api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: f.alice)
            #expect(tap.state == .stopped)
            #expect(tap.stoppedBy == .user)
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(id)", token: f.admin)
            #expect(events.items.map(\.action) == ["tap.created", "tap.stopped"])
            #expect(events.items.last?.details["api"] == "neutron")
        }
    }

    @Test(arguments: StoreKind.available)
    func aFlowExpiresAfterTheNeutronMaximumAndThenShowsDown(kind: StoreKind) async throws {
        let clock = MovableClock()
        try await withNeutronServer(kind, clock: clock) { _, neutron, f, controlPlane in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let id = try #require(try await f.flow(neutron, from: f.shopApp, into: service, token: f.alice)["id"] as? String)
            clock.advance(by: TimeInterval(NeutronService.neutronTapDuration.seconds + 1))
            try await controlPlane.taps.expireDueTaps()
            let shown = try await neutron.expect(200, .get, "/v2.0/taas/tap_flows/\(id)", token: f.alice, member: "tap_flow")
            #expect(shown["status"] as? String == "DOWN")
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAServiceEndsItsFlows(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let id = try #require(try await f.flow(neutron, from: f.shopApp, into: service, token: f.alice)["id"] as? String)
            #expect(try await neutron.call(.delete, "/v2.0/taas/tap_services/\(service)", token: f.alice).status == 204)
            try await neutron.failure(404, "TapFlowNotFound", .get, "/v2.0/taas/tap_flows/\(id)", token: f.alice)
            #expect(try await api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: f.alice).state == .stopped)
            #expect(try await api.failure(.get, "/api/v1/targets/\(service)", token: f.admin).status == 404)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFlowsNameAndDescriptionCanBeUpdated(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { _, neutron, f, _ in
            let service = try await f.service(neutron, on: f.shopMonitor, token: f.alice)
            let id = try #require(try await f.flow(neutron, from: f.shopApp, into: service, token: f.alice)["id"] as? String)
            let updated = try await neutron.expect(200, .put, "/v2.0/taas/tap_flows/\(id)", token: f.alice,
                                                   json: #"{"tap_flow": {"name": "renamed"}}"#, member: "tap_flow")
            #expect(updated["name"] as? String == "renamed")
            #expect(updated["status"] as? String == "ACTIVE")
            try await neutron.failure(400, "HTTPBadRequest", .put, "/v2.0/taas/tap_flows/\(id)", token: f.alice,
                                      json: #"{"tap_flow": {"direction": "OUT"}}"#)
            try await neutron.failure(404, "TapFlowNotFound", .put, "/v2.0/taas/tap_flows/\(id)", token: f.bob,
                                      json: #"{"tap_flow": {"name": "x"}}"#)
        }
    }
}
