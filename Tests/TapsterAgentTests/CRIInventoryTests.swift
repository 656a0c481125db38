import Foundation
import Logging
import Synchronization
import TapsterCRI
import TapsterCore
import TapsterSystemTestSupport
import TapsterWire
import Testing
@testable import TapsterAgent

/// Pods from a real containerd's CRI, created as kubelet creates them, found by real scans of the host.
///
/// Each test uses a Kubernetes namespace of its own (`shop-<hex>`), so tests running side by side on the
/// run's one containerd never see each other's pods. A scan is repeated until it has the pod the test made:
/// a new pod's status may be asked a poll later when the runtime is slow (under the whole suite's load).
@Suite("CRI inventory", .serialized)
struct CRIInventoryTests {
    /// A scanner of pods only (no host interfaces, process or named namespaces) asking the test containerd.
    static func podScanner(logger: RecordingLogHandler.Messages? = nil) throws -> InventoryScanner {
        let configuration = try AgentConfiguration(yaml: "namespaces: []\nhost_interfaces: false\nprocess_namespaces: false\n", file: "test.yaml")
        let platforms: [any PlatformInventory] = [try CRIInventory(socketPath: try Containerd.socket())]
        let answers = logger.map { PlatformAnswers(platforms: platforms, logger: RecordingLogHandler.logger($0)) }
            ?? PlatformAnswers(platforms: platforms)
        return InventoryScanner(configuration: configuration, platforms: answers, recordingInto: ProcessNamespaceRecord())
    }

    /// The first inventory `scanner` finds with a workload named `name` (scanning every 200 ms).
    static func scan(_ scanner: InventoryScanner, until name: String) async throws -> HostInventory {
        try await eventually(every: .milliseconds(200), "a scan with \(name)") { () -> HostInventory? in
            let inventory = try await scanner.scan()
            return inventory.workload(named: name) == nil ? nil : inventory
        }
    }

    @Test("pods web and db are reported as kind pod named namespace/name, with their labels, uid, netns and IP on eth0")
    func podsAreReported() async throws {
        try await CRIPod.withWebAndDB { namespace, web, db in
            let (webAddress, dbAddress) = (try await web.address(), try await db.address())

            let scanner = try Self.podScanner()
            _ = try await Self.scan(scanner, until: "\(namespace)/web")
            let inventory = try await Self.scan(scanner, until: "\(namespace)/db")

            for (pod, address, app) in [(web, webAddress, "web"), (db, dbAddress, "db")] {
                let workload = try #require(inventory.workload(named: "\(namespace)/\(app)"))
                #expect(workload.kind == .pod)
                #expect(workload.labels == ["app": app])
                #expect(workload.platform == PlatformIdentity(runtime: "cri", namespace: namespace, uid: pod.uid))
                #expect(workload.interfaces.map(\.name) == ["eth0"])
                #expect(workload.interfaces.first?.ips.first == address)
                #expect(workload.interfaces.first?.mac != nil)
                #expect(address.hasPrefix(Containerd.podSubnetPrefix))
                #expect(!workload.netns.isEmpty)
            }
        }
    }

    @Test("a pod's namespace is reported once, as the pod, not again as a named or process namespace")
    func podNamespaceIsNotAProcessWorkload() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web"]) { web in
            let address = try await web.address()
            var scanner = try Self.podScanner()
            scanner.configuration = try AgentConfiguration(yaml: "host_interfaces: false\n", file: "test.yaml")

            let inventory = try await Self.scan(scanner, until: "\(namespace)/web")

            let carrying = inventory.workloads.filter { $0.interfaces.contains { $0.ips.contains(address) } }
            #expect(carrying.map(\.name) == ["\(namespace)/web"])
        }
    }

    @Test("the wire report of a pod carries its platform: runtime cri, namespace, uid")
    func wireReportCarriesPlatform() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web"]) { web in
            let inventory = try await Self.scan(try Self.podScanner(), until: "\(namespace)/web")
            let report = try #require(inventory.wireInventory.workloads.first { $0.name == "\(namespace)/web" })

            #expect(report.kind == "pod")
            #expect(report.platform.runtime == "cri")
            #expect(report.platform.namespace == namespace)
            #expect(report.platform.uid == web.uid)
            #expect(report.platform.hostNetwork == false)
            #expect(report.labels == ["app": "web"])
        }
    }

    @Test("a host-network pod is reported as a pod on the host's network, with no namespace or interfaces of its own")
    func hostNetworkPod() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "node-agent", namespace: namespace, labels: ["app": "node-agent"], hostNetwork: true) { agent in
            let inventory = try await Self.scan(try Self.podScanner(), until: "\(namespace)/node-agent")

            #expect(inventory.workload(named: "\(namespace)/node-agent") == DiscoveredWorkload(
                name: "\(namespace)/node-agent", kind: .pod, netns: "", labels: ["app": "node-agent"], interfaces: [],
                platform: PlatformIdentity(runtime: "cri", namespace: namespace, uid: agent.uid, hostNetwork: true)))
        }
    }

    @Test("the runtime's labels win over the configuration's for the same key; the host's labels fill in the rest")
    func runtimeLabelsWin() async throws {
        let namespace = CRIPod.freshNamespace()
        try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web", "zone": "pod-zone"]) { _ in
            var scanner = try Self.podScanner()
            scanner.configuration = try AgentConfiguration(
                yaml: "labels: { zone: a, rack: r1 }\nnamespaces: []\nhost_interfaces: false\nprocess_namespaces: false\n", file: "test.yaml")

            let inventory = try await Self.scan(scanner, until: "\(namespace)/web")

            #expect(inventory.workload(named: "\(namespace)/web")?.labels == ["app": "web", "zone": "pod-zone", "rack": "r1"])
        }
    }

    @Test("a stopped pod disappears from the watcher's inventory without waiting for the next scan interval")
    func stoppedPodDisappears() async throws {
        let namespace = CRIPod.freshNamespace()
        let name = "\(namespace)/web"
        // Scans are an hour apart: only the poll of the runtime can notice the pod come and go.
        let watcher = InventoryWatcher(scanner: try Self.podScanner(), interval: .seconds(3600), platformPollInterval: .seconds(1))
        let latest = Mutex<HostInventory?>(nil)
        let consumer = Task {
            for await inventory in watcher.updates() { latest.withLock { $0 = inventory } }
        }
        defer { consumer.cancel() }
        try await eventually("the first inventory") { latest.withLock { $0 } }

        try await CRIPod.with(name: "web", namespace: namespace, labels: ["app": "web"]) { web in
            try await eventually("\(name) in an inventory") { latest.withLock { $0?.workload(named: name) } }

            try await web.stop()
            try await eventually("an inventory without \(name)") { latest.withLock { $0?.workload(named: name) == nil ? true : nil } }
        }
    }

    @Test("a wrong CRI socket is logged once, and the host's other workloads are still reported")
    func wrongSocket() async throws {
        let topology = try NetnsTopology(roles: ["web"])
        defer { topology.remove() }
        let messages = RecordingLogHandler.Messages()
        let missing = "/run/tapster-test-\(topology.prefix)/containerd.sock"
        let scanner = InventoryScanner(
            configuration: try AgentConfiguration(
                yaml: "namespaces: [\"\(topology.prefix)-web\"]\nhost_interfaces: false\nprocess_namespaces: false\n", file: "test.yaml"),
            platforms: PlatformAnswers(platforms: [try CRIInventory(socketPath: missing)], logger: RecordingLogHandler.logger(messages)),
            recordingInto: ProcessNamespaceRecord())

        let first = try await scanner.scan()
        let second = try await scanner.scan()

        #expect(first.workloads.map(\.name) == ["\(topology.prefix)-web"])
        #expect(second == first)
        let warnings = messages.messages(atLeast: .warning)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("cri unix://\(missing)") == true)
    }

    @Test("only READY sandboxes are listed: a pod stopped but not yet removed is not")
    func onlyReadySandboxes() async throws {
        try await CRIPod.withWebAndDB { namespace, web, db in
            try await db.stop()

            let inventory = try CRIInventory(socketPath: try Containerd.socket())
            // Until the runtime answers (a call may time out under the suite's load) with web's status asked.
            let workloads = try await eventually(every: .milliseconds(200), "web listed") { () -> [PlatformWorkload]? in
                let listed = (try? await inventory.workloads())?.filter { $0.platform.namespace == namespace }
                return listed?.contains { $0.name == "\(namespace)/web" } == true ? listed : nil
            }

            #expect(workloads.map(\.name) == ["\(namespace)/web"])
            #expect(workloads.first?.platform.uid == web.uid)
        }
    }
}
