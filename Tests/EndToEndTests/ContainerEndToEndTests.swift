import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// Containers outside Kubernetes: a real `tapster agent` reads the Docker Engine API that Podman serves
/// (`podman system service`, the test run's one ``Podman``), a real `tapster serve` lists what it reports,
/// and an owner taps the containers by their own labels. The agent reports no namespaces of the lab's own:
/// only the containers (its file gives them the host's labels `zone: lab`, `tenant: shop`).
@Suite("Containers end to end (Docker Engine API)", .serialized, .timeLimit(.minutes(5)))
struct ContainerEndToEndTests {
    /// A lab whose one agent asks `dockerSocket` (by default the test Podman's).
    static func withLab(dockerSocket: String? = nil, roles: [String] = [], _ body: (DataPlaneLab) async throws -> Void) async throws {
        let socket = try dockerSocket ?? Podman.socket()
        try await DataPlaneLab.with(roles: roles, agentYAML: "docker-socket: \(socket)", body)
    }

    /// The workload named `name`, once the server lists it.
    static func waitForWorkload(_ lab: DataPlaneLab, named name: String) async throws -> Workload {
        try await eventually(every: .milliseconds(500), "the server to list \(name)") {
            try await lab.workloads().first { $0.name == name }
        }
    }

    @Test("a container started by podman run is listed by the server as a container with its name, labels, image, id and IP")
    func containerIsListed() async throws {
        let web = try PodmanContainer(name: "web", labels: ["app": "web"], command: ["sleep", "600"])
        defer { web.remove() }
        try await Self.withLab { lab in
            let workload = try await Self.waitForWorkload(lab, named: web.name)

            #expect(workload.kind == .container)
            #expect(workload.host == lab.agentName)
            #expect(workload.labels == ["app": "web", "zone": "lab", "tenant": "shop"])
            #expect(workload.tenant == "shop")
            #expect(workload.platform == WorkloadPlatform(runtime: "docker", uid: web.id, image: Podman.image))
            #expect(workload.interfaces.map(\.name) == ["eth0"])
            #expect(workload.interfaces.first?.ips == [try IPAddress(parsing: try web.address())])
        }
    }

    @Test("a stopped container disappears from the server's workloads")
    func stoppedContainerDisappears() async throws {
        let web = try PodmanContainer(name: "web", labels: ["app": "web"], command: ["sleep", "600"])
        defer { web.remove() }
        try await Self.withLab { lab in
            _ = try await Self.waitForWorkload(lab, named: web.name)

            try web.stop()

            try await eventually(every: .milliseconds(500), "the server to drop \(web.name)") {
                try await lab.workloads().contains { $0.name == web.name } ? nil : true
            }
        }
    }

    @Test("an agent given a wrong Docker socket says so in one log line and still reports its other workloads")
    func wrongSocket() async throws {
        let socket = "/nonexistent/tapster-test/docker.sock"
        try await Self.withLab(dockerSocket: socket, roles: ["web"]) { lab in
            let agent = try #require(lab.agent)
            try await agent.waitForOutput("no socket at \(socket)")

            let web = try await Self.waitForWorkload(lab, named: lab.topology["web"].namespace)

            #expect(web.labels["app"] == "web")
            let lines = agent.stderr.split(separator: "\n").filter { $0.contains(socket) && !$0.contains("asking docker") }
            #expect(lines.count == 1, "\(agent.stderr)")
            #expect(lines.first?.contains("Docker Engine API at unix://\(socket): no socket at \(socket)") == true, "\(agent.stderr)")
        }
    }

    @Test("an owner's capture of -l app=web holds exactly the container's segments that tshark saw in the container")
    func captureOfAContainer() async throws {
        let web = try PodmanContainer(name: "web", labels: ["app": "web"], command: ["sleep", "600"])
        defer { web.remove() }
        try await Self.withLab { lab in
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.grant(filter: "web", target: "live")
            _ = try await Self.waitForWorkload(lab, named: web.name)
            let (address, namespace) = (try web.address(), try web.namespacePath())
            let listener = try await TCPTraffic.listen(on: address, namespacePath: namespace, directory: lab.scratch)
            defer { listener.stop() }
            let reference = try await LiveTshark(name: "reference-web", namespacePath: namespace, interface: "eth0",
                                                 captureFilter: "tcp port \(TCPTraffic.port)", fields: DataPlaneLab.segmentFields,
                                                 directory: lab.scratch)
            defer { reference.stop() }
            let path = lab.scratch.path + "/web.pcapng"
            let (capture, _) = try await CaptureEndToEndTests.startCapture(
                lab, ["-l", "app=web", "-i", "eth0", "--for", "30s", "-w", path, "tcp", "port", String(TCPTraffic.port)])
            defer { capture.stop() }

            try await TCPTraffic.send(to: address, chunks: 20, size: 200, directory: lab.scratch)
            let expected = try await reference.settledSegments()

            // 30 s from the capture's creation: applying it took over 10 s under the full suite, and the send must fit after.
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
            let file = try CaptureEndToEndTests.CaptureFile(path: path)
            let interface = "\(lab.agentName)/\(web.name)/eth0"
            #expect(file.interfaces.map(\.name) == [interface])
            #expect(file.segments[interface] == expected)
        }
    }
}
