import Foundation
import TapsterSystemTestSupport
import Testing
@testable import TapsterAgent
import TapsterCore

/// The Docker Engine API as Podman serves it (`podman system service`, the test run's one ``Podman``):
/// containers started with `podman run` are the workloads ``DockerEngineInventory`` reports, and a real scan
/// enters their namespaces. Serialized: each test lists the engine's containers and finds its own by name.
@Suite("Docker Engine API inventory", .serialized)
struct DockerEngineInventoryTests {
    static func inventory() throws -> DockerEngineInventory {
        DockerEngineInventory(socketPath: try Podman.socket())
    }

    /// The engine's answer for `container` now, if it lists it.
    static func reported(_ container: PodmanContainer, by inventory: DockerEngineInventory) async throws -> PlatformWorkload? {
        try await inventory.workloads().first { $0.name == container.name }
    }

    /// The inventory's first answer that reports `container` (and, with `matching`, says what it must say), asking
    /// again as the agent's scanner does every second: a container whose inspection fails or times out under load is
    /// left out of one answer and inspected again at the next (``DockerEngineInventory/workloads()``), which made a
    /// single call right after `podman run` miss it in one full run of the suite.
    static func firstReport(of container: PodmanContainer, by inventory: DockerEngineInventory,
                            matching condition: @escaping @Sendable (PlatformWorkload) -> Bool = { _ in true }) async throws -> PlatformWorkload {
        try await eventually(every: .milliseconds(200), "the engine's inventory to report \(container.name)") {
            try await reported(container, by: inventory).flatMap { condition($0) ? $0 : nil }
        }
    }

    @Test("a running container is reported by its name with its labels exactly, its image, its id and its process's network namespace")
    func runningContainer() async throws {
        let web = try PodmanContainer(name: "web", labels: ["app": "web", "tier": "front"], command: ["sleep", "600"])
        defer { web.remove() }

        let reported = try await Self.firstReport(of: web, by: try Self.inventory())

        let pid = try web.pid()
        #expect(reported == PlatformWorkload(
            name: web.name, kind: .container, labels: ["app": "web", "tier": "front"],
            networkNamespacePath: "/proc/\(pid)/ns/net",
            platform: PlatformIdentity(runtime: "docker", uid: web.id, image: Podman.image),
            processStartTime: ProcessNamespaces.startTime(pid: pid)))
    }

    @Test("a container on the host's network is reported without a network namespace of its own")
    func hostNetworkContainer() async throws {
        let agent = try PodmanContainer(name: "hostnet", labels: ["app": "node-agent"], hostNetwork: true, command: ["sleep", "600"])
        defer { agent.remove() }

        let reported = try await Self.firstReport(of: agent, by: try Self.inventory())

        #expect(reported.networkNamespacePath == nil)
        #expect(reported.platform == PlatformIdentity(runtime: "docker", uid: agent.id, image: Podman.image, hostNetwork: true))
    }

    @Test("a container cri-dockerd made for a Kubernetes pod is not reported (its labels are the pod author's; the pod is the CRI's)")
    func kubernetesContainerIsLeftOut() async throws {
        let pod = try PodmanContainer(name: "k8s_POD_web", labels: ["io.kubernetes.docker.type": "podsandbox", "tenant": "victim"],
                                      command: ["sleep", "600"])
        defer { pod.remove() }
        let plain = try PodmanContainer(name: "plain", command: ["sleep", "600"])
        defer { plain.remove() }
        let inventory = try Self.inventory()

        _ = try await Self.firstReport(of: plain, by: inventory)

        #expect(try await Self.reported(pod, by: inventory) == nil)
    }

    @Test("a stopped container is no longer reported")
    func stoppedContainer() async throws {
        let web = try PodmanContainer(name: "web", command: ["sleep", "600"])
        defer { web.remove() }
        let inventory = try Self.inventory()
        _ = try await Self.firstReport(of: web, by: inventory)

        try web.stop()

        #expect(try await Self.reported(web, by: inventory) == nil)
    }

    @Test("a restarted container keeps its id and is reported with its new process's namespace")
    func restartedContainer() async throws {
        let web = try PodmanContainer(name: "web", command: ["sleep", "600"])
        defer { web.remove() }
        let inventory = try Self.inventory()
        let before = try web.pid()
        #expect(try await Self.firstReport(of: web, by: inventory).networkNamespacePath == "/proc/\(before)/ns/net")

        try Podman.run(["restart", "-t", "0", web.name])
        let after = try web.pid()

        #expect(after != before)
        _ = try await Self.firstReport(of: web, by: inventory) { $0.networkNamespacePath == "/proc/\(after)/ns/net" }
    }

    @Test("no socket at the path: an error naming the socket")
    func missingSocket() async throws {
        let path = "/nonexistent/docker.sock"
        let error = await #expect(throws: DockerEngineError.self) { try await DockerEngineInventory(socketPath: path).workloads() }

        #expect(error?.problem == .noSocket)
        #expect(error?.description == "Docker Engine API at unix:///nonexistent/docker.sock: no socket at /nonexistent/docker.sock")
    }

    @Test("a path that is not a unix socket: an error saying so")
    func notASocket() async throws {
        let directory = try ScratchDirectory(label: "docker-socket")
        defer { directory.remove() }
        let path = directory.path + "/docker.sock"
        try "not a socket".write(toFile: path, atomically: true, encoding: .utf8)

        let error = await #expect(throws: DockerEngineError.self) { try await DockerEngineInventory(socketPath: path).workloads() }

        #expect(error?.description == "Docker Engine API at unix://\(path): \(path) is not a unix socket")
    }

    @Test("a real scan reports a container as a container workload with its eth0, MAC and IP, and not again as a process namespace")
    func scannedContainer() async throws {
        let web = try PodmanContainer(name: "web", labels: ["app": "web"], command: ["sleep", "600"])
        defer { web.remove() }
        let address = try web.address()
        let mac = try Podman.run(["exec", web.name, "cat", "/sys/class/net/eth0/address"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let scanner = InventoryScanner(
            configuration: try AgentConfiguration(yaml: "labels: { zone: a }\nnamespaces: []\nhost_interfaces: false\n", file: "test.yaml"),
            platforms: PlatformAnswers(platforms: [try Self.inventory()]), recordingInto: ProcessNamespaceRecord())

        // A scan whose engine answer left the new container out (its inspection timed out) is followed by the next.
        let inventory = try await eventually(every: .milliseconds(200), "a scan that reports \(web.name)") {
            let inventory = try await scanner.scan()
            return inventory.workload(named: web.name) == nil ? nil : inventory
        }

        // The workload as scanned, in the message: one run under the full suite's load saw it differ, and the
        // difference was not printed.
        let scanned = inventory.workload(named: web.name)
        #expect(scanned == DiscoveredWorkload(
            name: web.name, kind: .container, netns: "/proc/\(try web.pid())/ns/net", labels: ["zone": "a", "app": "web"],
            interfaces: [DiscoveredInterface(name: "eth0", mac: mac, ips: [address])],
            platform: PlatformIdentity(runtime: "docker", uid: web.id, image: Podman.image)), "scanned: \(String(describing: scanned))")
        #expect(inventory.workloads.filter { $0.interfaces.contains { $0.ips.contains(address) } }.map(\.name) == [web.name])
    }
}
