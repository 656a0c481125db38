import Foundation
import Testing
import TapsterCore
@testable import TapsterServer

/// What every agent is told to run, computed from taps, filters, targets, workloads and agents.
@Suite struct AgentPlannerTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    // MARK: Fixture: web-1 on node-1, web-2 and db-1 on node-2, monitor-1 on node-3.

    static let webOnNode1 = workload("web-1", host: "node-1", labels: ["app": "web"], ip: "10.0.0.1", interfaceID: "00000000-0000-0000-0000-000000000001")
    static let webOnNode2 = workload("web-2", host: "node-2", labels: ["app": "web"], ip: "10.0.0.2", interfaceID: "00000000-0000-0000-0000-000000000002")
    static let dbOnNode2 = workload("db-1", host: "node-2", labels: ["app": "db"], ip: "10.0.0.3", interfaceID: "00000000-0000-0000-0000-000000000003")
    static let monitorOnNode3 = workload("monitor-1", host: "node-3", labels: ["role": "monitor"], ip: "10.0.0.9",
                                         interfaceID: "00000000-0000-0000-0000-000000000009")
    static let workloads = [webOnNode1, webOnNode2, dbOnNode2, monitorOnNode3]

    static func workload(_ name: String, host: String, labels: [String: String], ip: String, interfaceID: String) -> Workload {
        Workload(createdAt: start, spec: WorkloadSpec(
            name: name, kind: .netns, host: host, labels: labels, netns: name,
            interfaces: [WorkloadInterface(id: interfaceID, name: "eth0", ips: [try! IPAddress(parsing: ip)])]))
    }

    static func agents(tunnels: [String: String] = [:]) -> [Agent] {
        ["node-1", "node-2", "node-3"].map { Agent(name: $0, state: .connected, createdAt: start, tunnelAddress: tunnels[$0]) }
    }

    static let webToDB = Filter(createdAt: start, spec: FilterSpec(
        name: "web-to-db", selector: try! LabelSelector(parsing: "app=web"), peerSelector: try! LabelSelector(parsing: "app=db"),
        bpf: "tcp port 5432", direction: .in))

    static func tap(target: String, filter: String = "web-to-db", state: TapState = .active) -> Tap {
        Tap(id: "10000000-0000-0000-0000-00000000000a", tenant: nil, owner: "alice", filter: filter, target: target, state: state,
            duration: TapDuration(seconds: 900), createdAt: start)
    }

    /// The secret the plans' GRE keys are derived from.
    static let tunnelKeySecret = TunnelKeys.secret(Data(repeating: 7, count: 32))

    static func plan(_ taps: [Tap], targets: [TargetSpec], filters: [Filter] = [webToDB], agents: [Agent] = agents(),
                     now: Date = start.addingTimeInterval(1)) -> [String: AgentPlan] {
        DesiredTapsPlanner.plan(.init(taps: taps, filters: filters, targets: targets.map { Target(createdAt: start, spec: $0) },
                                      workloads: workloads, agents: agents, now: now, tunnelKeySecret: tunnelKeySecret))
    }

    static let erspan = TargetSpec(name: "ids", kind: .erspan, destination: try! IPAddress(parsing: "192.0.2.10"), erspanVersion: 2,
                                   sessionId: 42, payload: .headers(snaplen: 128), bandwidthCap: BandwidthCap(bitsPerSecond: 10_000_000))

    // MARK: Assignments

    @Test func erspanTapIsAssignedToEveryHostWithASelectedWorkloadAndNoOther() throws {
        let plans = Self.plan([Self.tap(target: "ids")], targets: [Self.erspan])
        let tap = try #require(plans["node-1"]?.taps.first)
        #expect(plans["node-1"]?.taps.count == 1)
        #expect(tap.tapID == Self.tap(target: "ids").id)
        #expect(tap.sources == [DesiredTapSource(workload: "web-1", netns: "web-1", interface: "eth0")])
        #expect(tap.bpf == "(tcp port 5432) and (host 10.0.0.3)")
        #expect(tap.snaplen == 128)
        #expect(tap.direction == .in)
        #expect(tap.bandwidthCapBitsPerSecond == 10_000_000)
        #expect(tap.deadline == Self.start.addingTimeInterval(900))
        #expect(tap.destination == .erspanII(address: "192.0.2.10", sessionID: 42))
        #expect(plans["node-2"]?.taps.map { $0.sources.map(\.workload) } == [["web-2"]])
        #expect(plans["node-3"] == AgentPlan())
    }

    @Test func erspanTypeThreeIsItsOwnEncapsulation() {
        var target = Self.erspan
        target.erspanVersion = 3
        #expect(Self.plan([Self.tap(target: "ids")], targets: [target])["node-1"]?.taps.first?.destination == .erspanIII(address: "192.0.2.10", sessionID: 42))
    }

    @Test func vxlanCarriesItsNetworkIdentifierAndPort() {
        let target = TargetSpec(name: "ids", kind: .vxlan, destination: try! IPAddress(parsing: "192.0.2.20"), vni: 7, udpPort: 4790)
        #expect(Self.plan([Self.tap(target: "ids")], targets: [target])["node-1"]?.taps.first?.destination
            == .vxlan(address: "192.0.2.20", vni: 7, udpPort: 4790))
    }

    @Test func vxlanWithoutPortUsesTheStandardOne() {
        let target = TargetSpec(name: "ids", kind: .vxlan, destination: try! IPAddress(parsing: "192.0.2.20"), vni: 7)
        #expect(Self.plan([Self.tap(target: "ids")], targets: [target])["node-1"]?.taps.first?.destination
            == .vxlan(address: "192.0.2.20", vni: 7, udpPort: 4789))
    }

    @Test func greCarriesItsKeyOnlyWhenItHasOne() {
        let keyed = TargetSpec(name: "ids", kind: .gre, destination: try! IPAddress(parsing: "192.0.2.30"), greKey: 99)
        let keyless = TargetSpec(name: "ids", kind: .gre, destination: try! IPAddress(parsing: "192.0.2.30"))
        #expect(Self.plan([Self.tap(target: "ids")], targets: [keyed])["node-1"]?.taps.first?.destination == .gre(address: "192.0.2.30", key: 99))
        #expect(Self.plan([Self.tap(target: "ids")], targets: [keyless])["node-1"]?.taps.first?.destination == .gre(address: "192.0.2.30", key: nil))
    }

    @Test func fullPayloadIsSnapLengthZero() {
        let target = TargetSpec(name: "ids", kind: .gre, destination: try! IPAddress(parsing: "192.0.2.30"), payload: .full)
        #expect(Self.plan([Self.tap(target: "ids")], targets: [target])["node-1"]?.taps.first?.snaplen == 0)
    }

    @Test(arguments: [TargetKind.stream, .store])
    func streamAndStoreGoToTheServerUnderTheTapsCaptureID(kind: TargetKind) {
        let target = TargetSpec(name: "live", kind: kind)
        let tap = Self.tap(target: "live")
        #expect(Self.plan([tap], targets: [target])["node-1"]?.taps.first?.destination == .serverStream(captureID: tap.id))
    }

    @Test func portTargetOnTheSameHostIsDeliveredLocally() throws {
        // db-1's interface on node-2 is the monitoring port; web-2 on node-2 is tapped.
        let target = TargetSpec(name: "monitor", kind: .port, portId: Self.dbOnNode2.interfaces[0].id)
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(name: "web", selector: try LabelSelector(parsing: "app=web")))
        let plans = Self.plan([Self.tap(target: "monitor", filter: "web")], targets: [target], filters: [filter])
        let tap = try #require(plans["node-2"]?.taps.first)
        #expect(tap.destination == .port(PortDelivery(host: "node-2", netns: "db-1", interface: "eth0")))
        #expect(plans["node-2"]?.receptions == [])
    }

    @Test func portTargetOnAnotherHostIsTunnelledToThatHostsAgentWhichReceivesItFromTheSendersOnly() throws {
        let target = TargetSpec(name: "monitor", kind: .port, portId: Self.monitorOnNode3.interfaces[0].id)
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(name: "web", selector: try LabelSelector(parsing: "app=web")))
        let tap = Self.tap(target: "monitor", filter: "web")
        let tunnels = ["node-1": "198.51.100.1", "node-2": "198.51.100.2", "node-3": "198.51.100.3"]
        let plans = Self.plan([tap], targets: [target], filters: [filter], agents: Self.agents(tunnels: tunnels))
        let key = TunnelKeys(secret: Self.tunnelKeySecret).derive(tap.id)
        for host in ["node-1", "node-2"] {
            #expect(plans[host]?.taps.first?.destination == .port(PortDelivery(
                host: "node-3", netns: "monitor-1", interface: "eth0", tunnel: PortDelivery.Tunnel(address: "198.51.100.3", greKey: key))))
        }
        #expect(plans["node-3"]?.taps == [])
        #expect(plans["node-3"]?.receptions == [DesiredPortReception(
            tapID: tap.id, greKey: key, netns: "monitor-1", interface: "eth0", deadline: Self.start.addingTimeInterval(900),
            allowedSources: ["198.51.100.1", "198.51.100.2"])])
    }

    @Test func portTargetIsNotAssignedWhereItsHostAcceptsNoTunnel() {
        let target = TargetSpec(name: "monitor", kind: .port, portId: Self.monitorOnNode3.interfaces[0].id)
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(name: "web", selector: try! LabelSelector(parsing: "app=web")))
        let plans = Self.plan([Self.tap(target: "monitor", filter: "web")], targets: [target], filters: [filter])
        #expect(plans.values.allSatisfy { $0 == AgentPlan() })
    }

    @Test func thePortItselfIsNeverTapped() {
        // Everything is selected, the monitoring port included: its own interface is left out.
        let target = TargetSpec(name: "monitor", kind: .port, portId: Self.monitorOnNode3.interfaces[0].id)
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(name: "all", selector: try! LabelSelector(parsing: "role=monitor")))
        let plans = Self.plan([Self.tap(target: "monitor", filter: "all")], targets: [target], filters: [filter])
        #expect(plans["node-3"]?.taps == [])
    }

    @Test func portsFilterTapsOnlyThoseInterfaces() {
        var web = Self.webOnNode1
        web.spec.interfaces.append(WorkloadInterface(id: "00000000-0000-0000-0000-0000000000ff", name: "eth1"))
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(
            name: "port", selector: LabelSelector(requirements: []), ports: ["00000000-0000-0000-0000-0000000000ff"]))
        let plans = DesiredTapsPlanner.plan(.init(
            taps: [Self.tap(target: "ids", filter: "port")], filters: [filter], targets: [Target(createdAt: Self.start, spec: Self.erspan)],
            workloads: [web], agents: Self.agents(), now: Self.start))
        #expect(plans["node-1"]?.taps.first?.sources.map(\.interface) == ["eth1"])
    }

    @Test func peerSelectorThatMatchesNoAddressAssignsNothing() {
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(
            name: "web-to-db", selector: try! LabelSelector(parsing: "app=web"), peerSelector: try! LabelSelector(parsing: "app=cache")))
        let plans = Self.plan([Self.tap(target: "ids")], targets: [Self.erspan], filters: [filter])
        #expect(plans.values.allSatisfy { $0 == AgentPlan() })
    }

    @Test func filterWithoutExpressionOrPeersCapturesEverything() {
        let filter = Filter(createdAt: Self.start, spec: FilterSpec(name: "web-to-db", selector: try! LabelSelector(parsing: "app=web")))
        #expect(Self.plan([Self.tap(target: "ids")], targets: [Self.erspan], filters: [filter])["node-1"]?.taps.first?.bpf == "")
    }

    @Test(arguments: [TapState.stopped, .expired, .failed, .rejected])
    func endedTapsAreAssignedNowhere(state: TapState) {
        #expect(Self.plan([Self.tap(target: "ids", state: state)], targets: [Self.erspan]).values.allSatisfy { $0 == AgentPlan() })
    }

    /// Four-eyes approval: a tap waiting for it reaches no agent, though its host has a selected workload; approved, it does.
    @Test func aTapPendingApprovalIsAssignedNowhereUntilApproved() throws {
        var pending = Self.tap(target: "ids", state: .pending)
        pending.approval = TapApproval(requestedAt: Self.start)
        #expect(Self.plan([pending], targets: [Self.erspan]).values.allSatisfy { $0 == AgentPlan() })
        let approved = try pending.applying(.approve(approver: "ada", approverID: "id-ada", reason: nil), at: Self.start)
        #expect(Self.plan([approved], targets: [Self.erspan])["node-1"]?.taps.map(\.tapID) == [pending.id])
    }

    @Test func tapPastItsDeadlineIsAssignedNowhere() {
        let plans = Self.plan([Self.tap(target: "ids")], targets: [Self.erspan], now: Self.start.addingTimeInterval(901))
        #expect(plans.values.allSatisfy { $0 == AgentPlan() })
    }

    @Test func revokedAgentsHaveNoPlan() {
        var agents = Self.agents()
        agents[0].state = .revoked
        #expect(Self.plan([Self.tap(target: "ids")], targets: [Self.erspan], agents: agents)["node-1"] == nil)
    }

    @Test func captureNarrowsSourcesExpressionAndSnapLength() {
        var tap = Self.tap(target: "live")
        tap.capture = CaptureNarrowing(mode: .stream, selector: try! LabelSelector(parsing: "app=web"), interface: "eth0", snaplen: 96,
                                       bpf: "tcp[13] & 2 != 0")
        let plans = Self.plan([tap], targets: [TargetSpec(name: "live", kind: .stream)])
        #expect(plans["node-1"]?.taps.first?.bpf == "((tcp port 5432) and (host 10.0.0.3)) and (tcp[13] & 2 != 0)")
        #expect(plans["node-1"]?.taps.first?.snaplen == 96)
    }

    @Test func tunnelKeysOfOneHostNeverClash() {
        var keys = TunnelKeys(secret: Self.tunnelKeySecret)
        let first = keys.key(for: "a", host: "h")
        #expect(keys.key(for: "a", host: "h") == first)
        #expect(TunnelKeys(secret: Self.tunnelKeySecret).derive("a") == first)
        // Whatever two taps derive, one host gets distinct keys.
        #expect(keys.key(for: "b", host: "h") != first)
    }
}
