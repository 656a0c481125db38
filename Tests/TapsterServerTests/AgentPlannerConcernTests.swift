import Foundation
import Testing
import TapsterCore
@testable import TapsterServer

/// Which agents a change makes the hub re-plan, and that planning only those gives them the plans a plan of
/// every agent gives. Fixture (``AgentPlannerTests``): web-1 on node-1, web-2 and db-1 on node-2, monitor-1
/// on node-3.
@Suite struct AgentPlannerConcernTests {
    typealias Fixture = AgentPlannerTests

    static let web = Filter(createdAt: Fixture.start, spec: FilterSpec(name: "web", selector: try! LabelSelector(parsing: "app=web")))
    static let monitorPort = TargetSpec(name: "monitor", kind: .port, portId: Fixture.monitorOnNode3.interfaces[0].id)
    static let tunnels = ["node-1": "198.51.100.1", "node-2": "198.51.100.2", "node-3": "198.51.100.3"]

    static func inputs(_ taps: [Tap], filters: [Filter] = [web], targets: [TargetSpec] = [Fixture.erspan]) -> DesiredTapsPlanner.Inputs {
        .init(taps: taps, filters: filters, targets: targets.map { Target(createdAt: Fixture.start, spec: $0) },
              workloads: Fixture.workloads, agents: Fixture.agents(tunnels: tunnels), now: Fixture.start.addingTimeInterval(1),
              tunnelKeySecret: Fixture.tunnelKeySecret)
    }

    static func concerned(_ change: Change, _ inputs: DesiredTapsPlanner.Inputs, holding: [String: Set<String>] = [:]) -> Set<String>? {
        DesiredTapsPlanner.agents(concernedBy: change, in: inputs, holding: holding)
    }

    static let webTap = Fixture.tap(target: "ids", filter: "web")

    @Test func aNewTapConcernsOnlyTheHostsOfTheWorkloadsItSelects() {
        #expect(Self.concerned(.tap(id: Self.webTap.id, .created), Self.inputs([Self.webTap])) == ["node-1", "node-2"])
    }

    @Test func aStoppedTapConcernsTheAgentsWhosePlansHeldIt() {
        #expect(Self.concerned(.tap(id: Self.webTap.id, .updated), Self.inputs([]), holding: [Self.webTap.id: ["node-1", "node-2"]])
            == ["node-1", "node-2"])
    }

    @Test func aWorkloadChangeConcernsItsHostAlone() {
        #expect(Self.concerned(.workload(id: "w", host: "node-3", .created), Self.inputs([Self.webTap])) == ["node-3"])
    }

    @Test func aWorkloadChangeAlsoConcernsTheHostsOfTapsWhosePeerSelectorReadsAddresses() {
        let tap = Fixture.tap(target: "ids")
        #expect(Self.concerned(.workload(id: "w", host: "node-3", .updated), Self.inputs([tap], filters: [Fixture.webToDB]))
            == ["node-1", "node-2", "node-3"])
    }

    @Test func aFilterChangeConcernsTheHostsOfTheTapsUsingItAndNoOther() {
        let other = Filter(createdAt: Fixture.start, spec: FilterSpec(name: "other", selector: try! LabelSelector(parsing: "role=monitor")))
        let inputs = Self.inputs([Self.webTap], filters: [Self.web, other])
        #expect(Self.concerned(.filter(name: "web", .updated), inputs) == ["node-1", "node-2"])
        #expect(Self.concerned(.filter(name: "other", .updated), inputs) == [])
    }

    @Test func aDeletedTargetConcernsTheAgentsWhosePlansHeldItsTaps() {
        #expect(Self.concerned(.target(name: "ids", .deleted), Self.inputs([Self.webTap], targets: []), holding: [Self.webTap.id: ["node-2"]])
            == ["node-2"])
    }

    @Test func anAgentChangeConcernsThatAgentAlone() {
        #expect(Self.concerned(.agent(name: "node-3", .updated), Self.inputs([Self.webTap])) == ["node-3"])
    }

    @Test func aTapIntoAPortConcernsEveryAgent() {
        let tap = Fixture.tap(target: "monitor", filter: "web")
        #expect(Self.concerned(.tap(id: tap.id, .created), Self.inputs([tap], targets: [Self.monitorPort])) == nil)
    }

    @Test func everythingConcernsEveryAgent() {
        #expect(Self.concerned(.everything, Self.inputs([Self.webTap])) == nil)
    }

    @Test(arguments: [["node-1"], ["node-2"], ["node-3"], ["node-1", "node-3"]])
    func planningSomeAgentsGivesThemThePlansOfAPlanOfAll(agents: Set<String>) {
        let tapIntoPort = Tap(id: "20000000-0000-0000-0000-00000000000b", tenant: nil, owner: "alice", filter: "web", target: "monitor",
                              state: .active, duration: TapDuration(seconds: 900), createdAt: Fixture.start)
        let inputs = Self.inputs([Self.webTap, tapIntoPort], targets: [Fixture.erspan, Self.monitorPort])
        let all = DesiredTapsPlanner.plan(inputs)
        #expect(DesiredTapsPlanner.plan(inputs, for: agents) == all.filter { agents.contains($0.key) })
    }
}
