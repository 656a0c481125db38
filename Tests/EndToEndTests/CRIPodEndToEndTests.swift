import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// Pods on a Kubernetes node: the test creates pods through the CRI of the run's one containerd exactly as
/// kubelet does (``CRIPod``), a real `tapster agent` asks the same socket, and a real `tapster serve` lists
/// what it reports. Each test's pods live in a Kubernetes namespace of their own (`shop-<hex>`), and only that
/// namespace is given to tenant `shop`: other suites' pods in the same containerd (`app=web` too) stay out of its captures.
@Suite("Pods end to end (CRI)", .serialized, .timeLimit(.minutes(5)))
struct CRIPodEndToEndTests {
    /// A lab whose one agent asks `criSocket` (by default the test containerd's) and reports no namespaces of the lab's own.
    static func withLab(criSocket: String? = nil, roles: [String] = [], _ body: (DataPlaneLab) async throws -> Void) async throws {
        let socket = try criSocket ?? Containerd.socket()
        try await DataPlaneLab.with(roles: roles, agentYAML: "cri-socket: \(socket)", body)
    }

    /// The workload named `name`, once the server lists it.
    static func waitForWorkload(_ lab: DataPlaneLab, named name: String) async throws -> Workload {
        try await eventually(every: .milliseconds(500), "the server to list \(name)") {
            try await lab.workloads().first { $0.name == name }
        }
    }

    @Test("pods web and db created as kubelet does are listed as pods named namespace/name, with their labels, uid and IP")
    func podsAreListed() async throws {
        try await CRIPod.withWebAndDB { namespace, web, db in try await Self.withLab { lab in
            for (pod, app) in [(web, "web"), (db, "db")] {
                let workload = try await Self.waitForWorkload(lab, named: "\(namespace)/\(app)")

                #expect(workload.kind == .pod)
                #expect(workload.host == lab.agentName)
                #expect(workload.labels["app"] == app)
                #expect(workload.platform == WorkloadPlatform(runtime: "cri", namespace: namespace, uid: pod.uid))
                #expect(workload.interfaces.map(\.name) == ["eth0"])
                let address = try IPAddress(parsing: try await pod.address())
                // The pod's IPv4 address from the CNI bridge, then its IPv6 link-local one.
                #expect(workload.interfaces.first?.ips.first == address, "\(workload.interfaces)")
            }
        } }
    }

    @Test("a stopped pod disappears from the server's workloads")
    func stoppedPodDisappears() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web"]) { web in try await Self.withLab { lab in
            _ = try await Self.waitForWorkload(lab, named: "\(namespace)/web")

            try await web.stop()

            try await eventually(every: .milliseconds(500), "the server to drop \(namespace)/web") {
                try await lab.workloads().contains { $0.name == "\(namespace)/web" } ? nil : true
            }
        } }
    }

    @Test("an agent given a wrong CRI socket says so in one log line and still reports its other workloads")
    func wrongSocket() async throws {
        let socket = "/nonexistent/tapster-test/containerd.sock"
        try await Self.withLab(criSocket: socket, roles: ["web"]) { lab in
            let agent = try #require(lab.agent)
            try await agent.waitForOutput("cri unix://\(socket) cannot be asked", timeout: .seconds(60))

            let web = try await Self.waitForWorkload(lab, named: lab.topology["web"].namespace)

            #expect(web.labels["app"] == "web")
            let lines = agent.stderr.split(separator: "\n").filter { $0.contains(socket) && !$0.contains("asking cri") }
            #expect(lines.count == 1, "\(agent.stderr)")
        }
    }

    @Test("a host-network pod is listed as a pod on the host's network, without interfaces of its own")
    func hostNetworkPod() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "node-agent", namespace: namespace, labels: ["app": "node-agent"], hostNetwork: true) { pod in
            try await Self.withLab { lab in
                let workload = try await Self.waitForWorkload(lab, named: "\(namespace)/node-agent")

                #expect(workload.kind == .pod)
                #expect(workload.platform == WorkloadPlatform(runtime: "cri", namespace: namespace, uid: pod.uid, hostNetwork: true))
                #expect(workload.interfaces.isEmpty)
            }
        }
    }

    @Test("CRI as kubelet uses it: an owner of tenant shop captures -l app=web tcp port 8080 and gets exactly the web↔db segments tshark saw in the pod; another tenant's owner gets 404")
    func captureOfAPod() async throws {
        try await CRIPod.withWebAndDB { namespace, web, db in try await Self.withLab { lab in
            try await lab.admin(["namespace-mapping", "create", namespace, "--tenant", "shop"])
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.grant(filter: "web", target: "live")
            let workload = try await eventually(every: .milliseconds(500), "\(namespace)/web in tenant shop") {
                try await lab.workloads().first { $0.name == "\(namespace)/web" && $0.tenant == "shop" }
            }
            let (address, webNamespace, dbNamespace) = (try await web.address(), try await web.namespacePath(), try await db.namespacePath())
            let listener = try await TCPTraffic.listen(on: address, port: 8080, namespacePath: webNamespace, directory: lab.scratch)
            defer { listener.stop() }
            let reference = try await LiveTshark(name: "reference-web", namespacePath: webNamespace, interface: "eth0",
                                                 captureFilter: "tcp port 8080", fields: DataPlaneLab.segmentFields, directory: lab.scratch)
            defer { reference.stop() }
            let path = lab.scratch.path + "/web.pcapng"
            let (capture, _) = try await CaptureEndToEndTests.startCapture(
                lab, ["-l", "app=web", "-i", "eth0", "--for", "30s", "-w", path, "tcp", "port", "8080"])
            defer { capture.stop() }

            try await TCPTraffic.send(to: address, port: 8080, chunks: 20, size: 200, fromNamespacePath: dbNamespace, directory: lab.scratch)
            let expected = try await reference.settledSegments()

            // 30 s from the capture's creation: applying it took over 10 s under the full suite, and the send must fit after.
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
            let file = try CaptureEndToEndTests.CaptureFile(path: path)
            let interface = "\(lab.agentName)/\(namespace)/web/eth0"
            #expect(file.interfaces.map(\.name) == [interface])
            #expect(!expected.isEmpty)
            #expect(file.segments[interface] == expected)

            try await lab.admin(["tenant", "create", "blog"])
            try await lab.admin(["user", "create", "bob", "--role", "owner", "--tenant", "blog", "--password-stdin"],
                                input: "correct-horse-battery-staple\n")
            let bob = CLI(binary: lab.binary, home: lab.scratch.url.path + "/bob-home", server: lab.server.url)
            _ = try await bob.run(["login", "--user", "bob", "--password-stdin"], input: "correct-horse-battery-staple\n")
            let seen = try await bob.run(["workload", "get", workload.id])
            #expect(seen.status == 1 && seen.stderr.hasSuffix("(not_found)\n"), "\(seen)")
            let listed = try await bob.run(["workload", "list", "-l", "app=web", "-o", "name"])
            #expect(listed.status == 0 && listed.stdout.isEmpty, "\(listed)")
        } }
    }

    @Test("Reschedule: while one capture of app=web (peer app=db) runs, a replacement web pod joins the same pcapng under a new interface, and the peer filter follows a recreated db pod's new address")
    func rescheduledPodsAreFollowed() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "web-1", namespace: namespace, labels: ["app": "web"]) { web1 in
        try await CRIPod.with(name: "db-1", namespace: namespace, labels: ["app": "db"]) { db1 in
        try await CRIPod.with(name: "other", namespace: namespace, labels: ["app": "other"]) { other in try await Self.withLab { lab in
            try await lab.admin(["namespace-mapping", "create", namespace, "--tenant", "shop"])
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--peer-selector", "app=db"])
            try await lab.grant(filter: "web", target: "live")
            for pod in ["web-1", "db-1", "other"] {
                _ = try await eventually(every: .milliseconds(500), "\(namespace)/\(pod) in tenant shop") {
                    try await lab.workloads().first { $0.name == "\(namespace)/\(pod)" && $0.tenant == "shop" }
                }
            }
            let path = lab.scratch.path + "/rescheduled.pcapng"
            let (capture, tap) = try await CaptureEndToEndTests.startCapture(
                lab, ["-l", "app=web", "-i", "eth0", "--for", "5m", "-w", path, "tcp", "port", "8080"])
            defer { capture.stop() }

            // Before: db-1 → web-1.
            let before = try await Self.exchange(lab, from: db1, to: web1, peer: db1, label: "before")

            // The rescheduling: both pods go, replacements with the same labels come (with new addresses).
            let oldPeer = try await db1.address()
            try await web1.stop()
            try await db1.stop()
            try await CRIPod.with(name: "web-2", namespace: namespace, labels: ["app": "web"]) { web2 in
            try await CRIPod.with(name: "db-2", namespace: namespace, labels: ["app": "db"]) { db2 in
                let newPeer = try await db2.address()
                #expect(oldPeer != newPeer, "the CNI gave db-2 db-1's old address; the peer's move is not exercised")
                // Covered: the agent captures on web-2's eth0 with a filter naming db-2's address.
                try await eventually(every: .milliseconds(500), "the tap to capture on web-2 with db-2 as its peer") { () -> Bool? in
                    ReplicaEndToEndTests.logLines(lab.agent, "capture started", ["tap=\(tap)", "\(namespace)/web-2/eth0", newPeer])
                        .isEmpty ? nil : true
                }

                // After: db-2 → web-2 is captured, and other → web-2 is not (other is no peer).
                let after = try await Self.exchange(lab, from: db2, to: web2, peer: db2, alsoFrom: other, label: "after")

                try await lab.owner(["tap", "stop", tap])
                #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
                let file = try CaptureEndToEndTests.CaptureFile(path: path)
                let (first, second) = ("\(lab.agentName)/\(namespace)/web-1/eth0", "\(lab.agentName)/\(namespace)/web-2/eth0")
                #expect(file.interfaces.map(\.name) == [first, second])
                #expect(!before.isEmpty && !after.isEmpty)
                #expect(file.segments[first] == before)
                #expect(file.segments[second] == after)
            } }
        } } } }
    }

    @Test("Scale up: a replica joining a running capture of app=web gets its own interface in the same pcapng, while the first replica's capture runs on untouched — started once, and a conversation spanning the join is complete")
    func aJoiningReplicaLeavesTheOthersCaptureRunning() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "web-1", namespace: namespace, labels: ["app": "web"]) { web1 in
        try await CRIPod.with(name: "client", namespace: namespace, labels: ["app": "client"]) { client in try await Self.withLab { lab in
            try await lab.admin(["namespace-mapping", "create", namespace, "--tenant", "shop"])
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.grant(filter: "web", target: "live")
            _ = try await eventually(every: .milliseconds(500), "\(namespace)/web-1 in tenant shop") {
                try await lab.workloads().first { $0.name == "\(namespace)/web-1" && $0.tenant == "shop" }
            }
            let path = lab.scratch.path + "/scaled.pcapng"
            let (capture, tap) = try await CaptureEndToEndTests.startCapture(
                lab, ["-l", "app=web", "-i", "eth0", "--for", "5m", "-w", path, "tcp", "port", "8080"])
            defer { capture.stop() }
            let (address, webNamespace, clientNamespace) = (try await web1.address(), try await web1.namespacePath(), try await client.namespacePath())
            let listener = try await TCPTraffic.listen(on: address, port: 8080, namespacePath: webNamespace, directory: lab.scratch)
            defer { listener.stop() }
            let reference = try await LiveTshark(name: "reference-web-1", namespacePath: webNamespace, interface: "eth0",
                                                 captureFilter: "tcp port 8080", fields: DataPlaneLab.segmentFields, directory: lab.scratch)
            defer { reference.stop() }

            // One conversation with web-1 of about 9 s, while web-2 starts and joins the capture.
            let spanning = Task {
                try await TCPTraffic.send(to: address, port: 8080, chunks: 300, size: 200, gap: 0.03,
                                          fromNamespacePath: clientNamespace, directory: lab.scratch)
            }
            defer { spanning.cancel() }
            try await CRIPod.with(name: "web-2", namespace: namespace, labels: ["app": "web"]) { web2 in
                try await eventually(every: .milliseconds(500), "the tap to capture on web-2") { () -> Bool? in
                    ReplicaEndToEndTests.logLines(lab.agent, "capture started", ["tap=\(tap)", "\(namespace)/web-2/eth0"]).isEmpty ? nil : true
                }
                try await spanning.value
                let second = try await Self.exchange(lab, from: client, to: web2, peer: client, label: "web-2")

                try await lab.owner(["tap", "stop", tap])
                #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
                let file = try CaptureEndToEndTests.CaptureFile(path: path)
                let (one, two) = ("\(lab.agentName)/\(namespace)/web-1/eth0", "\(lab.agentName)/\(namespace)/web-2/eth0")
                // The reference tshark can print later than the capture under load (a 600 ms pause once made it look
                // settled 18 segments short): it is read once it has as many as the capture holds — never waiting for
                // more, so a capture short of packets or with extra ones still differs from it.
                let first = await reference.segments(atLeast: max(1, file.segments[one]?.count ?? 0))
                #expect(file.interfaces.map(\.name) == [one, two])
                #expect(!first.isEmpty && !second.isEmpty)
                #expect(file.segments[one] == first)
                #expect(file.segments[two] == second)
                #expect(ReplicaEndToEndTests.logLines(lab.agent, "capture started", ["tap=\(tap)", "\(namespace)/web-1/eth0"]).count == 1)
                #expect(ReplicaEndToEndTests.logLines(lab.agent, "tap stopped", ["tap=\(tap)", "reason=changed"]).isEmpty)
            }
        } } }
    }

    /// Sends 10 chunks from `client` (and, with `alsoFrom`, 10 more from that pod) to `server`:8080 and
    /// returns the segments between `server` and `peer` that tshark saw in `server`'s namespace.
    private static func exchange(_ lab: DataPlaneLab, from client: CRIPod, to server: CRIPod, peer: CRIPod, alsoFrom stranger: CRIPod? = nil,
                                 label: String) async throws -> [Segment] {
        let (address, serverNamespace) = (try await server.address(), try await server.namespacePath())
        let listener = try await TCPTraffic.listen(on: address, port: 8080, namespacePath: serverNamespace, directory: lab.scratch)
        defer { listener.stop() }
        let reference = try await LiveTshark(name: "reference-\(label)", namespacePath: serverNamespace, interface: "eth0",
                                             captureFilter: "tcp port 8080 and host \(try await peer.address())",
                                             fields: DataPlaneLab.segmentFields, directory: lab.scratch)
        defer { reference.stop() }
        try await TCPTraffic.send(to: address, port: 8080, chunks: 10, size: 200, fromNamespacePath: try await client.namespacePath(),
                                  directory: lab.scratch)
        if let stranger {
            try await TCPTraffic.send(to: address, port: 8080, chunks: 10, size: 200, fromNamespacePath: try await stranger.namespacePath(),
                                      directory: lab.scratch)
        }
        return try await reference.settledSegments()
    }
}
