import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// Flow records as agents report them and as principals read them: stored only for `flows` taps and the
/// reporting agent's own workloads; owners read their tenants' flows only, and see the other end of a flow
/// into another tenant as its address alone.
@Suite struct FlowVisibilityTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// The fixture, `web-9` of bank (node-9, 10.9.0.1, app=web), a `flows` target of shop granted to alice,
    /// and alice's tap on it; returns the fixture and the tap's id.
    static func withFlowTap(_ api: API) async throws -> (Fixture, String) {
        let fixture = try await TenantIsolationTests.withBankWeb(api)
        _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: fixture.admin, json: TargetSpec(name: "shop-flows", tenant: "shop", kind: .flows))
        _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: fixture.admin, json: GrantSpec(
            user: "alice", filter: "web-to-db", target: "shop-flows", maxDuration: try TapDuration(parsing: "1h")))
        let tap = try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.alice,
                                       json: TapRequest(filter: "web-to-db", target: "shop-flows", duration: try TapDuration(parsing: "15m")))
        return (fixture, tap.tap.id)
    }

    /// A TCP flow seen on web-1's eth0 from web-1 (10.0.0.1) to `server`.
    static func flow(tap: String, workload: String = "web-1", to server: FlowEndpoint, bytes: UInt64 = 1000,
                     http: [HTTPExchange] = []) -> FlowRecord {
        FlowRecord(tapID: tap, host: "forged-host", workload: workload, interface: "eth0", ipProtocol: 6,
                   client: FlowEndpoint(address: "10.0.0.1", port: 41000), server: server,
                   toServer: FlowCounters(packets: 10, bytes: bytes), toClient: FlowCounters(packets: 8, bytes: bytes * 2),
                   tcpFlagsToServer: [.syn, .ack, .fin], tcpFlagsToClient: [.syn, .ack, .fin], firstSeen: start,
                   lastSeen: start.addingTimeInterval(2), rttMicroseconds: 150, end: .fin, http: http)
    }

    static let db = FlowEndpoint(address: "10.0.0.3", port: 5432)
    static let bankWeb = FlowEndpoint(address: "10.9.0.1", port: 443)

    @Test(arguments: StoreKind.available)
    func anOwnerSeesTheirFlowsAndAnotherTenantsWorkloadOnlyAsItsAddress(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)
            #expect(try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: Self.db), Self.flow(tap: tap, to: Self.bankWeb)]) == 0)

            let flows = try await api.expect(ItemList<FlowView>.self, .get, "/api/v1/flows", token: fixture.alice).items
                .sorted { $0.flow.server.address < $1.flow.server.address }

            #expect(flows.map(\.flow.server) == [Self.db, Self.bankWeb])
            #expect(flows.map { $0.clientWorkload?.name } == ["web-1", "web-1"])
            #expect(flows.map { $0.serverWorkload?.name } == ["db-1", nil])
            #expect(flows.allSatisfy { $0.flow.host == "node-1" }, "the host is the reporting agent's, not the record's")
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerOfAnotherTenantSeesNoneOfThem(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)
            try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: Self.db), Self.flow(tap: tap, to: Self.bankWeb)])

            #expect(try await api.expect(ItemList<FlowView>.self, .get, "/api/v1/flows", token: fixture.bob).items.isEmpty)
            #expect(try await api.expect(FlowMap.self, .get, "/api/v1/flows/map", token: fixture.bob).edges.isEmpty)
            #expect(try await api.expect(ItemList<APIEndpoint>.self, .get, "/api/v1/apis", token: fixture.bob).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func theAuditorSeesEveryFlowWithEveryWorkloadNamed(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)
            try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: Self.bankWeb)])

            let flows = try await api.expect(ItemList<FlowView>.self, .get, "/api/v1/flows", token: fixture.audrey).items

            #expect(flows.map { $0.serverWorkload?.name } == ["web-9"])
        }
    }

    @Test(arguments: StoreKind.available)
    func anAgentCannotReportAnotherHostsWorkload(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)

            // web-1 runs on node-1: node-2 may not speak for it.
            let refused = try await controlPlane.flows.record(agent: "node-2", [Self.flow(tap: tap, to: Self.db)])

            #expect(refused == 1)
            #expect(try await api.expect(ItemList<FlowView>.self, .get, "/api/v1/flows", token: fixture.admin).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func recordsOfATapWhoseTargetIsNotFlowsAreRefused(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            let packetTap = try await fixture.aliceTap(api).tap.id

            #expect(try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: packetTap, to: Self.db)]) == 1)
            #expect(try await api.expect(ItemList<FlowView>.self, .get, "/api/v1/flows", token: fixture.admin).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRecordSentAgainReplacesTheFlowsTotals(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)
            try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: Self.db, bytes: 1000)])
            try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: Self.db, bytes: 5000)])

            let flows = try await api.expect(ItemList<FlowView>.self, .get, "/api/v1/flows", token: fixture.alice).items

            #expect(flows.map(\.flow.toServer.bytes) == [5000])
        }
    }

    @Test(arguments: StoreKind.available)
    func theMapGroupsWorkloadsByAppAndKeepsForeignEndsAsAddresses(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)
            try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: Self.db), Self.flow(tap: tap, to: Self.bankWeb)])

            let map = try await api.expect(FlowMap.self, .get, "/api/v1/flows/map", token: fixture.alice)

            #expect(map.edges.map { "\($0.from)->\($0.to) \($0.protocol)/\($0.port) \($0.connections) \($0.bytes)" }
                    == ["app=web->10.9.0.1 tcp/443 1 3000", "app=web->app=db tcp/5432 1 3000"])
            #expect(map.dot.contains(#""app=web" -> "app=db" [label="tcp/5432 1 conn 3000 B"];"#), "\(map.dot)")
        }
    }

    @Test(arguments: StoreKind.available)
    func observedAPIsAreSummarisedPerTemplatedPathWithStatusClasses(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await Self.withFlowTap(api)
            let at = Self.start
            let exchanges = [
                HTTPExchange(method: "GET", pathTemplate: "/users/{id}", host: "db", status: 200, latencyMicroseconds: 900, requestedAt: at),
                HTTPExchange(method: "GET", pathTemplate: "/users/{id}", host: "db", status: 404, latencyMicroseconds: 300, requestedAt: at),
                HTTPExchange(method: "POST", pathTemplate: "/users", host: "db", status: 500, latencyMicroseconds: 2000, requestedAt: at),
            ]
            try await controlPlane.flows.record(agent: "node-1", [Self.flow(tap: tap, to: FlowEndpoint(address: "10.0.0.3", port: 8080), http: exchanges)])

            let endpoints = try await api.expect(ItemList<APIEndpoint>.self, .get, "/api/v1/apis?selector=app%3Ddb", token: fixture.alice).items
            let sketch = try await api.expect(OpenAPISketch.self, .get, "/api/v1/apis/openapi", token: fixture.alice)

            #expect(endpoints.map { endpoint in
                let classes = endpoint.statusClasses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                return "\(endpoint.server) \(endpoint.method) \(endpoint.pathTemplate) \(endpoint.calls) \(classes) \(endpoint.callers)"
            } == [
                #"db-1 POST /users 1 5xx=1 ["web-1"]"#,
                #"db-1 GET /users/{id} 2 2xx=1,4xx=1 ["web-1"]"#,
            ])
            #expect(endpoints.map(\.latencyP99Microseconds) == [2000, 900])
            #expect(Set(sketch.paths.keys) == ["/users", "/users/{id}"])
            #expect(sketch.paths["/users/{id}"]?["get"]?.parameters?.map(\.name) == ["id"])
            #expect(Set(sketch.paths["/users/{id}"]?["get"]?.responses.keys ?? [:].keys) == ["200", "404"])
        }
    }
}
