import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Flow records: one row per flow, replaced by newer totals, read within a tenant scope, pruned by age with
/// their HTTP exchanges.
@Suite struct FlowStoreTests {
    static func flow(client port: UInt16, tenant: String? = "shop", lastSeen: Date, http: [HTTPExchange] = []) -> StoredFlow {
        StoredFlow(record: FlowRecord(tapID: "tap-1", host: "node-1", workload: "web-1", interface: "eth0", ipProtocol: 6,
                                      client: FlowEndpoint(address: "10.0.0.1", port: port), server: FlowEndpoint(address: "10.0.0.3", port: 5432),
                                      toServer: FlowCounters(packets: 3, bytes: 200), firstSeen: Fixtures.start, lastSeen: lastSeen, http: http),
                   tenant: tenant)
    }

    static func exchange(at time: Date) -> HTTPExchange {
        HTTPExchange(method: "GET", pathTemplate: "/users/{id}", host: "db", status: 200, latencyMicroseconds: 500, requestedAt: time)
    }

    @Test(arguments: StoreKind.available)
    func aFlowsRecordsKeepOneRowWithTheNewestTotalsAndEveryExchange(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var later = Self.flow(client: 41000, lastSeen: Fixtures.start.addingTimeInterval(10), http: [Self.exchange(at: Fixtures.start.addingTimeInterval(9))])
            later.record.toServer = FlowCounters(packets: 9, bytes: 900)
            try await db.store.recordFlows([Self.flow(client: 41000, lastSeen: Fixtures.start, http: [Self.exchange(at: Fixtures.start)])])
            try await db.store.recordFlows([later])

            let flows = try await db.store.flows(FlowQuery())
            let exchanges = try await db.store.httpExchanges(FlowQuery())

            #expect(flows.map(\.record.toServer) == [FlowCounters(packets: 9, bytes: 900)])
            #expect(exchanges.map(\.exchange.requestedAt) == [Fixtures.start, Fixtures.start.addingTimeInterval(9)])
        }
    }

    @Test(arguments: StoreKind.available)
    func aTenantScopeReadsOnlyThatTenantsFlows(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.recordFlows([Self.flow(client: 41000, tenant: "shop", lastSeen: Fixtures.start),
                                            Self.flow(client: 41001, tenant: "bank", lastSeen: Fixtures.start),
                                            Self.flow(client: 41002, tenant: nil, lastSeen: Fixtures.start)])

            #expect(try await db.store.flows(FlowQuery(tenants: ["shop"])).map(\.record.client.port) == [41000])
            #expect(try await db.store.flows(FlowQuery(tenants: [])).isEmpty)
            #expect(try await db.store.flows(FlowQuery()).count == 3)
        }
    }

    @Test(arguments: StoreKind.available)
    func pruningDeletesFlowsLastSeenBeforeTheCutoffWithTheirExchanges(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let cutoff = Fixtures.start.addingTimeInterval(3600)
            try await db.store.recordFlows([Self.flow(client: 41000, lastSeen: Fixtures.start, http: [Self.exchange(at: Fixtures.start)]),
                                            Self.flow(client: 41001, lastSeen: cutoff.addingTimeInterval(1),
                                                      http: [Self.exchange(at: Fixtures.start), Self.exchange(at: cutoff)])])

            let pruned = try await db.store.pruneFlows(before: cutoff)

            #expect(pruned == 1)
            #expect(try await db.store.flows(FlowQuery()).map(\.record.client.port) == [41001])
            #expect(try await db.store.httpExchanges(FlowQuery()).map(\.exchange.requestedAt) == [cutoff], "exchanges older than the cutoff go too")
        }
    }
}
