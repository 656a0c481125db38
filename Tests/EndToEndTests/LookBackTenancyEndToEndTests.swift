import Foundation
import TapsterAPI
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// `--before` across a workload's move into the owner's tenant, with a real server, agent and recorder: pods made
/// through the CRI of the run's containerd (``CRIPod``) belong to no tenant until an admin maps their Kubernetes
/// namespace to `shop` (`tapster namespace-mapping create`), which is their move into alice's tenant (the server
/// dates it: the workload's `tenant_since`). Recorder `web-recorder` (filter `web`: the test's `app=web` pods, 30 s)
/// records them all along, so its ring holds what they received before the move; the test sends each a numbered
/// UDP marker every 10 ms from the host. What a pod received before it joined `shop` was no tenant's: alice's look-back
/// must never replay it.
@Suite("Look-back across a tenant move end to end (CRI)", .serialized, .timeLimit(.minutes(5)))
struct LookBackTenancyEndToEndTests {
    /// A lab whose agent asks the test containerd, with target `live` (stream), filter `web` selecting the pods
    /// labelled `app=web,run=<run>`, granted to alice, and recorder `web-recorder` (30 s) of it.
    static func withRecordedPods(run: String, mapped namespaces: [String] = [], _ body: (DataPlaneLab) async throws -> Void) async throws {
        try await DataPlaneLab.with(roles: [], agentYAML: "cri-socket: \(try Containerd.socket())") { lab in
            for namespace in namespaces { try await lab.admin(["namespace-mapping", "create", namespace, "--tenant", "shop"]) }
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web,run=\(run)"])
            try await lab.grant(filter: "web", target: "live")
            try await lab.admin(["recorder", "create", "web-recorder", "--filter", "web", "--window", "30s", "--max-bytes", "16MiB"])
            try await body(lab)
        }
    }

    /// A fresh value for the `run` label, so that only this test's pods are selected (other suites' pods in the same
    /// containerd are `app=web` too).
    static func freshRun() -> String { String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }

    /// The workload `namespace/name` once the server lists it in `tenant` (nil: in none).
    static func workload(_ lab: DataPlaneLab, _ name: String, tenant: String?) async throws -> Workload {
        try await eventually(every: .milliseconds(500), "\(name) in tenant \(tenant ?? "(none)")") {
            try await lab.workloads().first { $0.name == name && $0.tenant == tenant }
        }
    }

    /// Maps `namespace` to tenant shop (the move of its pods into alice's tenant) and returns when the server
    /// dated the move of `pod`: its `tenant_since`.
    static func move(_ lab: DataPlaneLab, namespace: String, pod: String) async throws -> Date {
        try await lab.admin(["namespace-mapping", "create", namespace, "--tenant", "shop"])
        let moved = try await workload(lab, "\(namespace)/\(pod)", tenant: "shop")
        return try #require(moved.spec.tenantSince, "\(moved)")
    }

    /// The recorder's status on the lab's host once `condition` holds (the marker senders still running).
    /// The ring's oldest packet may be older than the markers (the pod's own start-up traffic): callers waiting for
    /// "n s of markers" also wait n s since the senders started (once only 4.9 s of markers preceded a 5 s look-back).
    static func recorded(_ lab: DataPlaneLab, _ what: String, senders: [BackgroundProcess],
                         _ condition: @escaping (RecorderHostStatus) -> Bool) async throws -> RecorderHostStatus {
        try await eventually(timeout: .seconds(60), every: .milliseconds(500), what) { () -> RecorderHostStatus? in
            for sender in senders where !sender.isRunning { throw LabFailure("a marker sender exited: \(sender.stderr)") }
            return try await RecorderEndToEndTests.recorder(lab).hosts.first { $0.host == lab.agentName && condition($0) }
        }
    }

    /// Each marker in a pcapng, by interface name, in file order: its number and timestamp.
    static func markers(in path: String) throws -> [String: [Marker]] {
        try WiresharkTools.fields(URL(fileURLWithPath: path), ["frame.interface_name", "frame.time_epoch", "udp.payload"])
            .reduce(into: [:]) { found, row in
                guard row.count == 3, let time = Double(row[1]) else { return }
                let hex = Array(row[2].utf8)
                let bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16) }
                let text = String(decoding: bytes, as: UTF8.self)
                guard text.hasPrefix("MARK"), let number = Int(text.dropFirst(4)) else { return }
                found[row[0], default: []].append(Marker(number: number, time: time))
            }
    }

    struct Marker: CustomStringConvertible {
        var number: Int
        var time: Double
        var description: String { "#\(number)@\(String(format: "%.6f", time))" }
    }

    /// Where `markers` are not consecutive (numbers missing, or repeated or out of order), each with the markers on
    /// either side (`#1666@…`, `#1673@…`): what a failed expectation shows instead of every number found.
    static func gaps(in markers: [Marker]) -> [String] {
        let gaps = zip(markers, markers.dropFirst()).compactMap { before, after -> String? in
            switch after.number - before.number {
            case 1: nil
            case let step where step > 1: "\(step - 1) missing between \(before) and \(after)"
            default: "\(after) repeated or out of order after \(before)"
            }
        }
        return gaps.count > 20 ? Array(gaps.prefix(20)) + ["and \(gaps.count - 20) more"] : gaps
    }

    /// How many numbers are missing between the first and the last of `markers`.
    static func missing(in markers: [Marker]) -> UInt64 {
        zip(markers, markers.dropFirst()).reduce(0) { $0 + UInt64(max(0, $1.1.number - $1.0.number - 1)) }
    }

    /// Where `markers` are not consecutive, as ``gaps(in:)`` says, unless every missing one is a loss the file records:
    /// the markers are repeated or out of order, or more are missing than the interface's statistics count as
    /// dropped. A stalled recorder thread under load lets the kernel drop what its ring cannot take (once 20 markers
    /// in a row); the capture says so in its statistics (`isb_ifdrop`), and only a loss it does not say is a failure.
    static func unaccountedGaps(in markers: [Marker], interface: String, of file: CaptureEndToEndTests.CaptureFile) -> [String] {
        let disordered = zip(markers, markers.dropFirst()).contains { $1.number <= $0.number }
        let dropped = file.statistics[interface]?.dropped ?? 0
        guard disordered || missing(in: markers) > dropped else { return [] }
        return Self.gaps(in: markers) + ["\(dropped) dropped on \(interface) by the file's statistics"]
    }

    /// When the sender meant to send `marker` (one every 10 ms from its start, read from the markers that went out
    /// on time): a stalled sender sends late ones in a burst, so a bound on where a look-back started is on this.
    static func due(_ marker: Marker, among markers: [Marker]) -> Double {
        let origin = markers.map { $0.time - Double($0.number) * 0.01 }.min() ?? marker.time
        return origin + Double(marker.number) * 0.01
    }

    /// The server's `warning:` lines on the capture's standard error.
    static func warnings(_ capture: BackgroundProcess) -> [String] {
        capture.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("warning: ") }
    }

    /// The capture's creation, as alice sees it.
    static func createdAt(_ lab: DataPlaneLab, capture id: String) async throws -> Date {
        try lab.decode(Capture.self, try await lab.owner(["capture", "get", id, "-o", "json"]).stdout).createdAt
    }

    /// Clock granularity between the server's dates (kept to the millisecond) and the packets' (nanoseconds).
    static let granularity = 0.001

    @Test("a pod that joined alice's tenant seconds ago: her capture looking back to 5 s before the move replays its markers from the move on, none from before, and says the look-back of that pod was shortened to the move")
    func lookBackOfAWorkloadThatJoinedTheTenantStartsAtTheMove() async throws {
        let (namespace, run) = (CRIPod.freshNamespace(), Self.freshRun())
        try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web", "run": run]) { web in
            try await Self.withRecordedPods(run: run) { lab in
                _ = try await Self.workload(lab, "\(namespace)/web", tenant: nil)
                let sendersStarted = Date()
                let sender = try UDPTraffic.startMarkers(to: try await web.address(), directory: lab.scratch)
                defer { sender.stop() }
                // The ring holds 8 s of what the pod received while it was no tenant's; the grant is older still, so
                // alice's own entitlement does not shorten a look-back that starts 5 s before the move.
                _ = try await Self.recorded(lab, "the recorder to hold 8 s of markers", senders: [sender]) {
                    $0.sources == 1 && $0.oldestAgeMilliseconds >= 8_000 && Date().timeIntervalSince(sendersStarted) >= 8
                }

                let moved = try await Self.move(lab, namespace: namespace, pod: "web")
                // The pod sends on as shop's: 300 more packets (3 s of markers) in the ring before alice asks.
                let atMove = try await Self.recorded(lab, "the recorder's count at the move", senders: [sender]) { _ in true }.captured
                _ = try await Self.recorded(lab, "the recorder to take 300 packets after the move", senders: [sender]) {
                    $0.captured >= atMove + 300
                }

                // The look-back asks for 5 s more than the move's age (however long the waits above took under load),
                // within the recorder's 30 s window: the ring holds those 5 s of markers from before the move.
                let before = Int(Date().timeIntervalSince(moved).rounded(.up)) + 5
                try #require(before <= 25, "the pod moved \(before - 5) s ago: too long for the recorder's 30 s window")
                let path = lab.scratch.path + "/moved.pcapng"
                let (capture, id) = try await CaptureEndToEndTests.startCapture(lab, ["--before", "\(before)s", "--for", "20s", "-w", path,
                                                                                      "udp", "port", "9"])
                defer { capture.stop() }
                let created = try await Self.createdAt(lab, capture: id).timeIntervalSince1970
                #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")

                let move = moved.timeIntervalSince1970
                // The move cut the look-back: the ring held markers due in [created − before, move), over a second of them.
                #expect(move > created - Double(before) + 1 && move < created - 1,
                        "moved at \(move), capture created at \(created), looking back \(before) s")
                let interface = "\(lab.agentName)/\(namespace)/web/eth0"
                let found = try Self.markers(in: path)
                #expect(Array(found.keys) == [interface], "\(found.keys)")
                let markers = found[interface] ?? []
                let first = try #require(markers.first, "no marker in the capture")
                let last = try #require(markers.last)
                // Nothing from before the move, and everything from it on: the first marker replayed is the first due
                // after the move (within the 10 ms between two markers and a sender's scheduling).
                let early = markers.filter { $0.time < move - Self.granularity }
                #expect(early.isEmpty, "\(early.count) markers from before the move at \(move): \(early.prefix(5))…")
                #expect(Self.due(first, among: markers) < move + 0.05, "first marker \(first) (due \(Self.due(first, among: markers))), moved at \(move)")
                let unaccounted = Self.unaccountedGaps(in: markers, interface: interface, of: try CaptureEndToEndTests.CaptureFile(path: path))
                #expect(unaccounted.isEmpty, "markers \(first.number)…\(last.number): \(markers.count) found, \(unaccounted)")
                #expect(last.time > created + 20 - 0.5 && last.time < created + 20, "last marker \(last), deadline \(created + 20)")
                #expect(Self.warnings(capture) == [
                    "warning: the look-back of \(lab.agentName)/\(namespace)/web starts at \(TapsterJSON.formatTime(moved)), when it joined "
                        + "tenant \"shop\": what it sent before was not this tenant's",
                ], "\(capture.stderr)")
            }
        }
    }

    @Test("a pod that joins alice's tenant while her --before 5s capture runs is captured live from then on, none of its ring's markers replayed, while the capture's other pod keeps its full look-back")
    func aWorkloadThatJoinsTheTenantDuringALookBackIsCapturedLiveOnly() async throws {
        let (staying, joining, run) = (CRIPod.freshNamespace(), CRIPod.freshNamespace(), Self.freshRun())
        try await CRIPod.with(name: "web-1", namespace: staying, labels: ["app": "web", "run": run]) { web1 in
        try await CRIPod.with(name: "web-2", namespace: joining, labels: ["app": "web", "run": run]) { web2 in
            try await Self.withRecordedPods(run: run, mapped: [staying]) { lab in
                _ = try await Self.workload(lab, "\(staying)/web-1", tenant: "shop")
                _ = try await Self.workload(lab, "\(joining)/web-2", tenant: nil)
                let sendersStarted = Date()
                let senders = [try UDPTraffic.startMarkers(to: try await web1.address(), directory: lab.scratch),
                               try UDPTraffic.startMarkers(to: try await web2.address(), directory: lab.scratch)]
                defer { senders.forEach { $0.stop() } }
                _ = try await Self.recorded(lab, "the recorder to hold 7 s of both pods' markers", senders: senders) {
                    $0.sources == 2 && $0.oldestAgeMilliseconds >= 7_000 && Date().timeIntervalSince(sendersStarted) >= 7
                }

                let path = lab.scratch.path + "/joining.pcapng"
                // 45 s from creation: the apply (over 10 s under the full suite), the move and the agent taking web-2 in must
                // leave web-2 well over 100 live markers before the deadline.
                let (capture, tap) = try await CaptureEndToEndTests.startCapture(lab, ["--before", "5s", "--for", "45s", "-w", path, "udp", "port", "9"])
                defer { capture.stop() }
                let created = try await Self.createdAt(lab, capture: tap).timeIntervalSince1970
                let moved = try await Self.move(lab, namespace: joining, pod: "web-2")
                let second = "\(joining)/web-2/eth0"
                // The agent takes web-2 into the running capture.
                try await eventually(every: .milliseconds(500), "the agent to add web-2 to the tap") { () -> Bool? in
                    ReplicaEndToEndTests.logLines(lab.agent, "tap sources changed", ["tap=\(tap)", "joined=1"]).isEmpty ? nil : true
                }
                #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")

                let move = moved.timeIntervalSince1970
                #expect(move > created, "moved at \(move), capture created at \(created)")
                let interfaces = ["\(lab.agentName)/\(staying)/web-1/eth0", "\(lab.agentName)/\(second)"]
                let file = try CaptureEndToEndTests.CaptureFile(path: path)
                #expect(file.interfaces.map(\.name) == interfaces)
                let found = try Self.markers(in: path)

                // web-1, shop's from the start: replayed from created − 5 s, then live.
                let kept = found[interfaces[0]] ?? []
                let start = created - 5
                let firstKept = try #require(kept.first, "no marker of web-1")
                #expect(firstKept.time >= start && Self.due(firstKept, among: kept) < start + 0.05,
                        "web-1's first marker \(firstKept) (due \(Self.due(firstKept, among: kept))), look-back from \(start)")
                let joins = ReplicaEndToEndTests.logLines(lab.agent, "tap sources changed", ["tap=\(tap)"])
                let keptUnaccounted = Self.unaccountedGaps(in: kept, interface: interfaces[0], of: file)
                #expect(keptUnaccounted.isEmpty, "web-1's markers \(firstKept)…\(kept.last.map(\.description) ?? ""): \(keptUnaccounted); capture created at \(created), web-2 moved at \(move), \(joins)")

                // web-2: live only, from after its move — the ring held its markers since before created − 5 s, none replayed.
                let joined = found[interfaces[1]] ?? []
                let firstJoined = try #require(joined.first, "no marker of web-2")
                let early = joined.filter { $0.time < move - Self.granularity }
                #expect(early.isEmpty, "\(early.count) markers of web-2 from before its move at \(move): \(early.prefix(5))…")
                let joinedUnaccounted = Self.unaccountedGaps(in: joined, interface: interfaces[1], of: file)
                #expect(joinedUnaccounted.isEmpty, "web-2's markers \(firstJoined)…: \(joined.count) found, \(joinedUnaccounted)")
                #expect(joined.count > 100, "\(joined.count) live markers of web-2")
                // Served live, once, and not by the recorder (nor said to be missing from it).
                #expect(ReplicaEndToEndTests.logLines(lab.agent, "capture started", ["tap=\(tap)", second]).count == 1)
                #expect(ReplicaEndToEndTests.logLines(lab.agent, "the recorder the server chose does not record this source here: the capture starts live",
                                                      ["tap=\(tap)"]).isEmpty)
                #expect(Self.warnings(capture).isEmpty, "\(capture.stderr)")
            }
        } }
    }
}
