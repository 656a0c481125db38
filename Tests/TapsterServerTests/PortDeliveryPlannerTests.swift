import Foundation
import Testing
import TapsterCore
import TapsterStore
import TapsterTestSupport
@testable import TapsterServer

/// `port` delivery in the agents' plans: no tap captures where any tap delivers, and tunnelled frames are
/// accepted only with the tap's secret key from the hosts that send them.
@Suite struct PortDeliveryPlannerTests {
    typealias Fixture = AgentPlannerTests

    static let monitorPort = TargetSpec(name: "monitor", kind: .port, portId: Fixture.monitorOnNode3.interfaces[0].id)
    static let dbPort = TargetSpec(name: "db-port", kind: .port, portId: Fixture.dbOnNode2.interfaces[0].id)

    static func filter(_ name: String, _ selector: String) -> Filter {
        Filter(createdAt: Fixture.start, spec: FilterSpec(name: name, selector: try! LabelSelector(parsing: selector)))
    }

    static func tap(_ id: String, filter: String, target: String) -> Tap {
        Tap(id: "10000000-0000-0000-0000-00000000000\(id)", tenant: nil, owner: "alice", filter: filter, target: target, state: .active,
            duration: TapDuration(seconds: 900), createdAt: Fixture.start)
    }

    @Test func noTapCapturesFromAnInterfaceAnotherLiveTapDeliversInto() {
        // Tap a delivers web's traffic into monitor-1; tap b (ERSPAN to a tool) selects monitor-1 too.
        let plans = Fixture.plan([Self.tap("a", filter: "web", target: "monitor"), Self.tap("b", filter: "monitors", target: "ids")],
                                 targets: [Self.monitorPort, Fixture.erspan],
                                 filters: [Self.filter("web", "app=web"), Self.filter("monitors", "role=monitor")],
                                 agents: Fixture.agents(tunnels: ["node-1": "198.51.100.1", "node-3": "198.51.100.3"]))
        #expect(plans["node-3"]?.taps == [])
        #expect(plans["node-1"]?.taps.map(\.tapID) == [Self.tap("a", filter: "", target: "").id])
    }

    @Test func twoTapsDeliveringIntoEachOthersPortsCaptureNeitherPort() {
        // a: db-1 and monitor-1 → monitor-1's port; b: web-1, db-1 and monitor-1 → db-1's port. Neither port is tapped.
        let plans = Fixture.plan([Self.tap("a", filter: "db-and-monitor", target: "monitor"),
                                  Self.tap("b", filter: "all", target: "db-port")],
                                 targets: [Self.monitorPort, Self.dbPort],
                                 filters: [Self.filter("db-and-monitor", "role=monitor"), Self.filter("all", "app in (web, db)")],
                                 agents: Fixture.agents(tunnels: ["node-1": "198.51.100.1", "node-2": "198.51.100.2", "node-3": "198.51.100.3"]))
        let sources = plans.values.flatMap(\.taps).flatMap { $0.sources.map(\.workload) }
        #expect(sources.sorted() == ["web-1", "web-2"])
    }

    @Test func aSendingHostWithoutATunnelAddressIsNotAssignedARemotePortDelivery() throws {
        let plans = Fixture.plan([Self.tap("a", filter: "web", target: "monitor")], targets: [Self.monitorPort],
                                 filters: [Self.filter("web", "app=web")],
                                 agents: Fixture.agents(tunnels: ["node-1": "198.51.100.1", "node-3": "198.51.100.3"]))
        #expect(plans["node-1"]?.taps.count == 1)
        #expect(plans["node-2"]?.taps == [])
        #expect(try #require(plans["node-3"]?.receptions.first).allowedSources == ["198.51.100.1"])
    }

    @Test func tapKeysComeFromTheServersSecretNotFromTheTapIDAlone() {
        let id = Self.tap("a", filter: "", target: "").id
        let one = TunnelKeys(secret: TunnelKeys.secret(Data(repeating: 1, count: 32)))
        let other = TunnelKeys(secret: TunnelKeys.secret(Data(repeating: 2, count: 32)))
        #expect(one.derive(id) != other.derive(id))
        #expect(one.derive(id) == TunnelKeys(secret: TunnelKeys.secret(Data(repeating: 1, count: 32))).derive(id))
    }

    @Test(arguments: StoreKind.available)
    func theSecretIsMadeOnceAndKeptInTheStoreAcrossRestarts(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { database in
            let id = Self.tap("a", filter: "", target: "").id
            let first = TunnelKeys(secret: try await TunnelKeys.secret(in: database.store)).derive(id)
            // A restarted server (or another replica) reads the same secret: the same key.
            let second = TunnelKeys(secret: try await TunnelKeys.secret(in: database.store)).derive(id)
            #expect(first == second)
            let kept = try #require(try await database.store.setting(TunnelKeys.secretSetting))
            #expect(Data(base64Encoded: kept)?.count == 32)
        }
    }
}
