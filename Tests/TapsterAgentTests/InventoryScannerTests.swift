import TapsterSystemTestSupport
import Foundation
import Testing
@testable import TapsterAgent
import TapsterCore
import TapsterWire

/// Scans of the real host: namespaces, veths and processes the tests make, found with their MACs, addresses
/// and labels, and only those the configuration gives this agent.
@Suite("Inventory scanner")
struct InventoryScannerTests {
    /// A configuration scoped to the test's own namespaces.
    static func configuration(_ yaml: String) throws -> AgentConfiguration {
        try AgentConfiguration(yaml: yaml, file: "test.yaml")
    }

    /// A scanner applying `configuration` that keeps its own record of process namespaces (these tests enter
    /// none; the agent's one record is ProcessNamespaceEntryTests').
    static func scanner(_ configuration: AgentConfiguration) -> InventoryScanner {
        InventoryScanner(configuration: configuration, recordingInto: ProcessNamespaceRecord())
    }

    @Test("a named namespace is reported with its veth's MAC and IP and the labels of its rule")
    func namedNamespace() async throws {
        let topology = try NetnsTopology(roles: ["web"])
        defer { topology.remove() }
        let web = topology["web"]
        let scanner = Self.scanner(try Self.configuration("""
            labels: { zone: a }
            workloads:
              - match: { netns: "\(topology.prefix)-w*" }
                labels: { app: web }
              - match: { netns: "*" }
                labels: { app: other }
            namespaces: ["\(topology.prefix)-*"]
            host_interfaces: false
            process_namespaces: false
            """))

        let inventory = try await scanner.scan()

        #expect(inventory.workload(named: web.namespace) == DiscoveredWorkload(
            name: web.namespace, kind: .netns, netns: web.namespace, labels: ["zone": "a", "app": "web"],
            interfaces: [DiscoveredInterface(name: "eth0", mac: web.mac, ips: [web.address])]))
        #expect(inventory.workloads.map(\.name) == ["\(topology.prefix)-lan", "\(topology.prefix)-tool", web.namespace])
        #expect(inventory.workload(named: "\(topology.prefix)-tool")?.labels == ["zone": "a", "app": "other"])
    }

    @Test("named namespaces outside the agent's scope are not reported")
    func scope() async throws {
        let topology = try NetnsTopology(roles: ["web"])
        defer { topology.remove() }
        let scanner = Self.scanner(try Self.configuration("""
            namespaces: ["\(topology.prefix)-web", "\(topology.prefix)-nothing*"]
            host_interfaces: false
            process_namespaces: false
            """))

        let inventory = try await scanner.scan()

        #expect(inventory.workloads.map(\.name) == ["\(topology.prefix)-web"])
    }

    @Test("each host interface is a host workload with its MAC, IP and interface rule's labels; lo is not")
    func hostInterfaces() async throws {
        let topology = try NetnsTopology(roles: ["web"])
        defer { topology.remove() }
        let scanner = Self.scanner(try Self.configuration("""
            labels: { zone: a }
            workloads:
              - match: { interface: "\(topology.rootInterface)" }
                labels: { role: uplink }
            namespaces: []
            process_namespaces: false
            """))

        let inventory = try await scanner.scan()

        #expect(inventory.workload(named: topology.rootInterface) == DiscoveredWorkload(
            name: topology.rootInterface, kind: .host, netns: "", labels: ["zone": "a", "role": "uplink"],
            interfaces: [DiscoveredInterface(name: topology.rootInterface, mac: String(format: "02:00:0a:%02x:01:01", topology.octet),
                                             ips: [topology.rootAddress])]))
        #expect(inventory.workload(named: "lo") == nil)
        #expect(inventory.workloads.allSatisfy { $0.kind == .host && $0.netns.isEmpty && $0.interfaces.count == 1 })
    }

    @Test("the namespace of a running process is reported as pid-<pid>-<comm>, labelled by a process rule")
    func processNamespace() async throws {
        let directory = try ScratchDirectory(label: "process-netns")
        defer { directory.remove() }
        // A sleep of 30 s ended before a starved test's scan found it (a full suite on 2 cores): the sleeper outlives any wait.
        let (process, pid) = try await Sleepers.unshared(directory, name: "unshared")
        defer { process.stop(grace: .seconds(1)) }
        let scanner = Self.scanner(try Self.configuration("""
            labels: { zone: a }
            workloads:
              - match: { process: { uid: 0, exe: "/usr/*/sleep" } }
                labels: { role: sleeper }
            namespaces: []
            host_interfaces: false
            """))

        let workload = try await eventually("pid-\(pid)-sleep in the inventory") {
            try await scanner.scan().workload(named: "pid-\(pid)-sleep")
        }

        #expect(workload == DiscoveredWorkload(name: "pid-\(pid)-sleep", kind: .netns, netns: "/proc/\(pid)/ns/net",
                                               labels: ["zone": "a", "role": "sleeper"], interfaces: []))
    }

    @Test("a process named to match netns rules gets none of their labels, nor the host's")
    func processNamedLikeANamespace() async throws {
        let directory = try ScratchDirectory(label: "process-impostor")
        defer { directory.remove() }
        // exec through a link named web-impostor: the kernel takes the process's comm from that name.
        let impostor = directory.path + "/web-impostor"
        try FileManager.default.createSymbolicLink(atPath: impostor, withDestinationPath: "/usr/bin/sleep")
        let process = try BackgroundProcess(name: "impostor", ["unshare", "-n", "sh", "-c", "echo $$; exec \"$0\" 600", impostor],
                                            directory: directory)
        defer { process.stop(grace: .seconds(1)) }
        let pid = try await eventually("the unshared shell to print its pid") { Int(process.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let scanner = Self.scanner(try Self.configuration("""
            labels: { zone: a }
            workloads:
              - match: { netns: "web*" }
                labels: { app: web, tenant: shop }
              - match: { netns: "*" }
                labels: { tenant: shop }
            namespaces: []
            host_interfaces: false
            """))

        let workload = try await eventually("pid-\(pid)-web-impostor in the inventory") {
            try await scanner.scan().workload(named: "pid-\(pid)-web-impostor")
        }

        #expect(workload.labels == [:])
    }

    @Test("a process rule labels a process's namespace by its uid and executable, not another user's")
    func processRuleByUID() async throws {
        let directory = try ScratchDirectory(label: "process-rule")
        defer { directory.remove() }
        let nobody = try BackgroundProcess(
            name: "nobody", ["unshare", "-n", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "sh", "-c", "echo $$; exec sleep 600"], directory: directory)
        defer { nobody.stop(grace: .seconds(1)) }
        let pid = try await eventually("the unshared shell to print its pid") { Int(nobody.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let scanner = Self.scanner(try Self.configuration("""
            labels: { zone: a }
            workloads:
              - match: { process: { uid: 0, exe: "/usr/*/sleep" } }
                labels: { role: root-sleeper }
              - match: { process: { uid: 65534, exe: "/usr/*/sleep" } }
                labels: { role: sleeper, tenant: shop }
            namespaces: []
            host_interfaces: false
            """))

        let workload = try await eventually("pid-\(pid)-sleep in the inventory") {
            try await scanner.scan().workload(named: "pid-\(pid)-sleep")
        }

        #expect(workload.labels == ["zone": "a", "role": "sleeper", "tenant": "shop"])
    }

    @Test("a process inside a named namespace is not reported again, even when the namespace is out of scope")
    func processInNamedNamespace() async throws {
        try await Sleepers.withOneInNamed { topology, _, pid in
            for namespaces in ["[\"\(topology.prefix)-*\"]", "[]"] {
                let scanner = Self.scanner(try Self.configuration("namespaces: \(namespaces)\nhost_interfaces: false\n"))
                let inventory = try await scanner.scan()
                #expect(!inventory.workloads.contains { $0.netns == "/proc/\(pid)/ns/net" }, "with namespaces: \(namespaces)")
            }
        }
    }

    @Test("process namespaces are left out when the configuration says so")
    func processNamespacesOff() async throws {
        let directory = try ScratchDirectory(label: "process-netns-off")
        defer { directory.remove() }
        let (process, _) = try await Sleepers.unshared(directory, name: "unshared")
        defer { process.stop(grace: .seconds(1)) }
        let scanner = Self.scanner(try Self.configuration("process_namespaces: false\nhost_interfaces: false\nnamespaces: []\n"))

        #expect(try await scanner.scan().workloads == [])
    }

    @Test("two scans of an unchanged host are equal")
    func stable() async throws {
        let topology = try NetnsTopology(roles: ["web", "db"])
        defer { topology.remove() }
        let scanner = Self.scanner(try Self.configuration("""
            namespaces: ["\(topology.prefix)-*"]
            process_namespaces: false
            host_interfaces: false
            """))

        let first = try await scanner.scan()
        let second = try await scanner.scan()

        #expect(first == second)
        #expect(first.workloads.count == 4)
    }

    @Test("the wire inventory carries every workload, with empty strings for a missing MAC")
    func wireInventory() {
        let inventory = HostInventory(workloads: [
            DiscoveredWorkload(name: "web", kind: .netns, netns: "web", labels: ["app": "web"],
                               interfaces: [DiscoveredInterface(name: "eth0", mac: "02:00:00:00:00:01", ips: ["10.0.0.1", "fd00::1"])]),
            DiscoveredWorkload(name: "tun0", kind: .host, netns: "", interfaces: [DiscoveredInterface(name: "tun0")]),
        ])

        let wire = inventory.wireInventory

        #expect(wire.workloads.map(\.name) == ["tun0", "web"])
        #expect(wire.workloads[0].kind == "host")
        #expect(wire.workloads[0].netns == "")
        #expect(wire.workloads[0].interfaces.map(\.mac) == [""])
        #expect(wire.workloads[1].kind == "netns")
        #expect(wire.workloads[1].labels == ["app": "web"])
        #expect(wire.workloads[1].interfaces.first?.mac == "02:00:00:00:00:01")
        #expect(wire.workloads[1].interfaces.first?.ips == ["10.0.0.1", "fd00::1"])
    }

    /// A runtime that names one workload in the namespace of `pid`, as it saw that process start at `startTime`.
    struct OneProcessPlatform: PlatformInventory {
        let pid: Int32
        let startTime: UInt64?
        var description: String { "docker unix:///scripted.sock" }
        func workloads() async throws -> [PlatformWorkload] {
            [PlatformWorkload(name: "web", kind: .container, labels: ["app": "web"], networkNamespacePath: "/proc/\(pid)/ns/net",
                              platform: PlatformIdentity(runtime: "docker", uid: "c1"), processStartTime: startTime)]
        }
    }

    @Test("a runtime's /proc/<pid>/ns/net is the workload's only while the pid is the process the runtime named: another start time leaves it out")
    func reusedPidIsLeftOut() async throws {
        let directory = try ScratchDirectory(label: "reused-pid")
        defer { directory.remove() }
        let (process, pid) = try await Sleepers.unshared(directory, name: "container")
        defer { process.stop(grace: .seconds(1)) }
        let started = try #require(ProcessNamespaces.startTime(pid: pid))
        let configuration = try Self.configuration("namespaces: []\nhost_interfaces: false\nprocess_namespaces: false\n")
        func scan(startTime: UInt64) async throws -> HostInventory {
            try await InventoryScanner(configuration: configuration,
                                       platforms: PlatformAnswers(platforms: [OneProcessPlatform(pid: pid, startTime: startTime)]),
                                       recordingInto: ProcessNamespaceRecord()).scan()
        }

        let same = try await scan(startTime: started)
        let other = try await scan(startTime: started + 1)

        #expect(same.workloads.map(\.name) == ["web"])
        #expect(other.workloads.isEmpty)
    }
}
