import Foundation
import Testing
import TapsterCore
@testable import TapsterServer

/// A capture that looks back names, for each source in its agents' plans, the recorder the coverage rule chose
/// (``RecorderCoverage``, the rule `not_recorded` checks), so the agent serves it from exactly that one.
@Suite struct LookBackRecorderPlanTests {
    static let start = AgentPlannerTests.start
    static let all = Filter(createdAt: start, spec: FilterSpec(name: "everything", selector: try! LabelSelector(parsing: "app=web")))
    static let web = Filter(createdAt: start, spec: FilterSpec(name: "web", selector: try! LabelSelector(parsing: "app=web"), bpf: "tcp port 80"))
    static let other = Filter(createdAt: start, spec: FilterSpec(name: "web-ssh", selector: try! LabelSelector(parsing: "app=web"), bpf: "tcp port 22"))
    static let stream = TargetSpec(name: "stream", kind: .stream)

    static func recorder(_ name: String, filter: String, window: Int64) -> Recorder {
        Recorder(createdAt: start, spec: RecorderSpec(name: name, filter: filter, window: TapDuration(seconds: window), maxBytes: 1 << 20))
    }

    static func plan(filter: String, before: Int64?, recorders: [Recorder]) throws -> [DesiredTapSource] {
        var tap = Tap(id: "10000000-0000-0000-0000-00000000000b", tenant: nil, owner: "alice", filter: filter, target: "stream",
                      state: .active, duration: TapDuration(seconds: 900), createdAt: start)
        var narrowing = CaptureNarrowing(mode: .stream)
        narrowing.before = before.map { TapDuration(seconds: $0) }
        tap.capture = narrowing
        let plans = DesiredTapsPlanner.plan(.init(
            taps: [tap], filters: [all, web, other], targets: [Target(createdAt: start, spec: stream)],
            workloads: AgentPlannerTests.workloads, agents: AgentPlannerTests.agents(), now: start.addingTimeInterval(1),
            recorders: recorders))
        return try #require(plans["node-1"]?.taps.first).sources
    }

    @Test func eachSourceNamesTheRecorderTheCoverageRuleChose() throws {
        // "a-ssh" comes first by name but records another filter's packets (port 22 only): never chosen.
        let recorders = [Self.recorder("a-ssh", filter: "web-ssh", window: 60), Self.recorder("b-all", filter: "everything", window: 60),
                         Self.recorder("c-web", filter: "web", window: 60), Self.recorder("d-web-short", filter: "web", window: 5)]
        // The capture's own filter's recorder first.
        #expect(try Self.plan(filter: "web", before: 30, recorders: recorders).map(\.lookBackRecorder) == ["c-web"])
        // Its own is too short: one taking all the workload's traffic.
        #expect(try Self.plan(filter: "web", before: 30, recorders: recorders.filter { $0.name != "c-web" }).map(\.lookBackRecorder) == ["b-all"])
        #expect(try Self.plan(filter: "web", before: 3, recorders: recorders.filter { $0.name != "c-web" }).map(\.lookBackRecorder) == ["d-web-short"])
        // None covers it: none named (the agent captures it live).
        #expect(try Self.plan(filter: "web", before: 30, recorders: [Self.recorder("a-ssh", filter: "web-ssh", window: 60)])
            .map(\.lookBackRecorder) == [nil])
        // A capture that does not look back names none.
        #expect(try Self.plan(filter: "web", before: nil, recorders: recorders).map(\.lookBackRecorder) == [nil])
    }

    @Test func theCoverageRuleIsTheCaptureServicesRule() {
        let filters = Dictionary(uniqueKeysWithValues: [Self.all, Self.web, Self.other].map { ($0.name, $0) })
        let workload = AgentPlannerTests.webOnNode1.spec
        let before = TapDuration(seconds: 30)
        #expect(RecorderCoverage.covers(Self.recorder("r", filter: "web", window: 30), workload: workload, capturing: Self.web, before: before, filters: filters))
        #expect(!RecorderCoverage.covers(Self.recorder("r", filter: "web", window: 29), workload: workload, capturing: Self.web, before: before, filters: filters))
        #expect(RecorderCoverage.covers(Self.recorder("r", filter: "everything", window: 30), workload: workload, capturing: Self.web, before: before, filters: filters))
        #expect(!RecorderCoverage.covers(Self.recorder("r", filter: "web-ssh", window: 60), workload: workload, capturing: Self.web, before: before, filters: filters))
        #expect(!RecorderCoverage.covers(Self.recorder("r", filter: "gone", window: 60), workload: workload, capturing: Self.web, before: before, filters: filters))
    }
}
