import CTrafficControl
import Foundation
import Glibc
import Synchronization
import PacketKit
@testable import TapsterAgent
import TapsterCore
import TapsterSystemTestSupport
import TapsterWire
import Logging
import Testing

/// In-kernel mirrors in real namespaces: the tool receives, as VXLAN from the host, exactly the packets
/// tshark saw on the tapped interface; the counters are the kernel's; and nothing the agent added outlives
/// the mirror — at its close, at its deadline, or after a killed agent's restart — while others' filters stay.
@Suite("In-kernel mirrors", .serialized)
struct KernelMirrorTests {
    /// A mirror of the lab's tool on VXLAN `vni`.
    private static func mirror(_ lab: MirrorLab, vni: UInt32 = 4242, deadline: Date? = nil, cap: UInt64? = nil,
                               owner: KernelMirrorOwner? = nil) async throws -> KernelMirror {
        removeTestDevicesLeftByKilledRuns()
        let tunnel = KernelMirror.Tunnel(remote: try #require(IPv4Address(lab.topology.tool.address)), vni: vni, port: 4789)
        return try await mirror(lab, to: .vxlan(tunnel), deadline: deadline, cap: cap, owner: owner)
    }

    /// A mirror of the lab's tap to `output`, by the lab's agent unless `owner` says otherwise.
    static func mirror(_ lab: MirrorLab, to output: KernelMirror.Output, deadline: Date? = nil, cap: UInt64? = nil,
                       owner: KernelMirrorOwner? = nil) async throws -> KernelMirror {
        try await KernelMirror(owner: owner ?? Self.owner(lab), tapID: "tap-\(lab.topology.prefix)", output: output,
                               deadline: deadline ?? Date().addingTimeInterval(60), bandwidthCap: cap)
    }

    /// The name of the mirror's VXLAN device.
    private static func tunnelName(of mirror: KernelMirror) throws -> String {
        mirror.names.owner.tunnelName(for: try #require(mirror.output.tunnel))
    }

    /// Deletes tunnel devices an earlier, killed run of these tests left (their owners were per-lab agents no
    /// sweep knows): the kernel keeps one VXLAN device per VNI and port, and they would hold this suite's VNIs.
    /// The suite is serialized, so no device of this run is alive when a test begins.
    private static func removeTestDevicesLeftByKilledRuns() {
        let shown = (try? ProcessRunner.run(["ip", "-o", "link", "show", "type", "vxlan"]).stdout) ?? ""
        for line in shown.split(separator: "\n") where line.contains("alias tapster mirror test-") || line.contains("alias tapster mirror second-") {
            let name = line.split(separator: ":").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !name.isEmpty { _ = try? ProcessRunner.run(["ip", "link", "del", name], allowFailure: true) }
        }
    }

    /// The test's agent: its own per lab, so parallel runs never sweep each other's mirrors.
    /// The lab's agent and a second one (another name, another VNI) each mirroring web's interface.
    static func twoAgentsMirroringWeb(_ lab: MirrorLab) async throws -> (first: KernelMirror, second: KernelMirror) {
        // A step that fails closes what the earlier ones made: a tunnel device left behind would hold its VNI for the next test.
        let first = try await mirror(lab)
        do {
            _ = try await first.add(lab.plan())
            let second = try await mirror(lab, vni: 4243, owner: KernelMirrorOwner(agent: "second-\(lab.topology.prefix)"))
            do {
                _ = try await second.add(lab.plan())
                return (first, second)
            } catch {
                second.close()
                throw error
            }
        } catch {
            first.close()
            throw error
        }
    }

    /// Someone else's filter on web's ingress hook at `priority`: matches nothing, carries no cookie.
    static func addForeignFilter(_ lab: MirrorLab, priority: Int) throws {
        try lab.topology.run(in: lab.web.namespace, ["tc", "filter", "add", "dev", lab.web.interface, "ingress", "prio", "\(priority)",
                                                    "bpf", "bytecode", "1,6 0 0 0", "action", "mirred", "egress", "mirror", "dev", "lo"])
    }

    /// `bytes` as `tc` prints a cookie: lowercase hex, no separators.
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// An inventory naming web's namespace: what the start-up sweep reaches.
    static func webInventory(_ lab: MirrorLab) -> Tapster_Agent_V1_Inventory {
        var workload = Tapster_Agent_V1_WorkloadReport()
        workload.netns = lab.web.namespace
        var inventory = Tapster_Agent_V1_Inventory()
        inventory.workloads = [workload]
        return inventory
    }

    static func owner(_ lab: MirrorLab) -> KernelMirrorOwner { KernelMirrorOwner(agent: "test-\(lab.topology.prefix)") }

    /// `ip -o link` of the host's namespace, or of `namespace`: the interface names.
    static func links(in namespace: String? = nil) throws -> [String] {
        let arguments = namespace.map { ["ip", "-n", $0, "-o", "link"] } ?? ["ip", "-o", "link"]
        return try ProcessRunner.run(arguments).stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ":").dropFirst().first.map { String($0.trimmingCharacters(in: .whitespaces).split(separator: "@")[0]) }
        }
    }

    /// `tc filter show` on a hook of web's interface (empty when there is no clsact).
    static func filters(_ lab: MirrorLab, _ hook: String) throws -> String {
        try ProcessRunner.run(["tc", "-n", lab.web.namespace, "filter", "show", "dev", lab.web.interface, hook], allowFailure: true).stdout
    }

    /// The filters packets meet on a hook of web's interface (chain 0's: not the qdisc's mark, on a chain none reaches).
    static func packetFilters(_ lab: MirrorLab, _ hook: String) throws -> [Substring] {
        try filters(lab, hook).split(separator: "\n").filter { $0.hasPrefix("filter ") && !$0.contains("chain \(CTC_MARK_CHAIN)") }
    }

    private static func qdiscs(_ lab: MirrorLab) throws -> String {
        try ProcessRunner.run(["tc", "-n", lab.web.namespace, "qdisc", "show", "dev", lab.web.interface]).stdout
    }

    @Test("The tool receives, as VXLAN, exactly the packets that crossed the tapped interface, counted by the kernel")
    func mirrorsEveryPacketThroughTheKernel() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        let source = try await mirror.add(lab.plan())
        try await lab.send()
        let expected = try await lab.settle(source, reference: reference, tool: tool)

        #expect(expected.count >= 20)
        #expect(tool.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
        #expect(Set(tool.rows.map { $0["vxlan.vni"] ?? "" }) == ["4242"])
        #expect(source.counters.bytes == expected.reduce(0) { $0 + (UInt64($1["frame.len"] ?? "") ?? 0) }, "bytes count wire lengths")
        #expect(source.state == .running)
    }

    @Test("Direction in mirrors only what the workload receives (the ingress hook), out only what it sends", arguments: [Direction.in, .out])
    func directionPicksTheHook(_ direction: Direction) async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        let source = try await mirror.add(lab.plan(direction: direction))
        try await lab.send()
        let web = lab.web.mac
        let key = direction == .in ? "eth.dst" : "eth.src"
        let expected = try await lab.settle(source, reference: reference, tool: tool) { $0[key] == web }

        #expect(expected.count >= 8)
        #expect(tool.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
        #expect(try Self.packetFilters(lab, direction == .in ? "egress" : "ingress").isEmpty)
    }

    @Test("The tap's BPF program runs in the kernel: traffic with another peer is not mirrored")
    func bpfSelectsInTheKernel() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        let source = try await mirror.add(lab.plan(bpf: "host \(lab.db.address)"))
        try await lab.send(to: lab.peer)
        try await lab.send(to: lab.db)
        let db = lab.db.address
        let expected = try await lab.settle(source, reference: reference, tool: tool, connections: 2) { $0["ip.src"] == db || $0["ip.dst"] == db }

        #expect(reference.rows.contains { $0["ip.dst"] == lab.peer.address })
        #expect(tool.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
    }

    @Test("Closing removes the filters, the qdisc it added, the veths and the tunnel device")
    func closeRemovesEverything() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        let source = try await mirror.add(lab.plan())
        let names = mirror.names
        let tunnel = try Self.tunnelName(of: mirror)
        let veth = names.veth(for: lab.web.namespace)
        #expect(try Self.links().contains(tunnel))
        #expect(try Self.links().contains(veth.host))
        #expect(try Self.links(in: lab.web.namespace).contains(veth.workload))
        #expect(try Self.filters(lab, "ingress").contains("bpf"))
        #expect(try Self.filters(lab, "egress").contains("bpf"))

        mirror.close()

        #expect(source.state == .stopped(.requested))
        #expect(try !Self.links().contains(tunnel))
        #expect(try !Self.links().contains(veth.host))
        #expect(try !Self.links(in: lab.web.namespace).contains(veth.workload))
        #expect(try !Self.qdiscs(lab).contains("clsact"))
    }

    @Test("At its deadline the mirror removes itself, with no one asking")
    func deadlineRemovesTheMirror() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        // Far enough for the source to be added first: under a full suite on 2 cores making the veth pair took over 2 s,
        // and a mirror past its deadline takes no source (ECANCELED).
        let mirror = try await Self.mirror(lab, deadline: Date().addingTimeInterval(10))
        let source = try await mirror.add(lab.plan())
        let tunnel = try Self.tunnelName(of: mirror)
        try await eventually("the mirror to stop at its deadline") { source.state.hasEnded ? true : nil }

        #expect(source.state == .stopped(.deadline))
        #expect(try Self.filters(lab, "ingress").isEmpty)
        // The tunnel goes right after the sources, in the same close.
        try await eventually("the tunnel device to go") { try Self.links().contains(tunnel) ? nil : true }
    }

    @Test("Someone else's filter on the interface keeps its place, its packets and its qdisc")
    func othersFiltersAreLeftAlone() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        try lab.topology.run(in: lab.web.namespace, ["tc", "qdisc", "add", "dev", lab.web.interface, "clsact"])
        // Theirs matches every packet, copies it to lo and lets classification continue (as a monitoring filter does).
        try lab.topology.run(in: lab.web.namespace, ["tc", "filter", "add", "dev", lab.web.interface, "ingress", "prio", "1",
                                                    "bpf", "bytecode", "1,6 0 0 4294967295", "action", "mirred", "egress", "mirror",
                                                    "dev", "lo", "continue"])
        let (reference, tool) = try await lab.watch()
        let mirror = try await Self.mirror(lab)
        let source = try await mirror.add(lab.plan())
        try await lab.send()
        let expected = try await lab.settle(source, reference: reference, tool: tool)
        #expect(tool.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))

        mirror.close()

        let remaining = try Self.filters(lab, "ingress")
        #expect(remaining.contains("pref 1 bpf"))
        #expect(!remaining.contains("pref 2"))
        #expect(try Self.qdiscs(lab).contains("clsact"))
    }

    @Test("A filter removed behind the agent's back fails the source instead of showing it running")
    func aRemovedFilterFailsTheSource() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        let source = try await mirror.add(lab.plan(direction: .in))
        try lab.topology.run(in: lab.web.namespace, ["tc", "filter", "del", "dev", lab.web.interface, "ingress"])

        _ = source.counters

        guard case .failed(let error) = source.state else {
            Issue.record("the source is \(source.state)")
            return
        }
        #expect(error.reason.hasSuffix("was removed by someone else"))
    }

    @Test("The sweep at agent start removes what a killed run of the agent left, in the host's namespace and the workload's, and no other agent's")
    func sweepRemovesLeftovers() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        // A mirror never closed: what an agent killed with SIGKILL leaves.
        let mirror = try await Self.mirror(lab)
        _ = try await mirror.add(lab.plan())
        let tunnel = try Self.tunnelName(of: mirror)

        let other = KernelMirrorSweep.sweepHost(owner: KernelMirrorOwner(agent: "another-\(lab.topology.prefix)"), logger: .init(label: "test"))
        let host = KernelMirrorSweep.sweepHost(owner: Self.owner(lab), logger: .init(label: "test"))
        let workloads = await KernelMirrorSweep.sweepWorkloads(of: Self.webInventory(lab), owner: Self.owner(lab), logger: .init(label: "test"))

        #expect(other == 0, "another agent's sweep leaves them alone")
        #expect(host == 3, "the veth's redirect filter, the veth and the tunnel")
        #expect(workloads == 3, "the filters on both hooks, and the qdisc the killed run added")
        #expect(try !Self.links().contains(tunnel))
        #expect(try Self.filters(lab, "ingress").isEmpty)
        #expect(try Self.filters(lab, "egress").isEmpty)
        #expect(try !Self.qdiscs(lab).contains("clsact"))
    }

    @Test("Two agents (of different names) on one interface: the qdisc the first added stays while the second mirrors, and goes with the second's last filter")
    func theLastAgentTakesTheQdisc() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (first, second) = try await Self.twoAgentsMirroringWeb(lab)
        defer { first.close(); second.close() }

        first.close()

        #expect(try Self.qdiscs(lab).contains("clsact"), "the second agent still mirrors")
        #expect(try Self.packetFilters(lab, "ingress").count == 2, "the second agent's filter, with its classifier line")

        second.close()

        #expect(try !Self.qdiscs(lab).contains("clsact"))
    }

    @Test("Two agents and someone else's filter on one interface: the first agent's leaving decides nothing; the qdisc goes with the last agent filter once the other is gone")
    func theLastAgentDecidesWithOthersInBetween() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (first, second) = try await Self.twoAgentsMirroringWeb(lab)
        defer { first.close(); second.close() }
        try Self.addForeignFilter(lab, priority: 100)

        first.close()
        #expect(try Self.filters(lab, "ingress").contains("chain \(CTC_MARK_CHAIN)"), "the second agent decides later")
        try lab.topology.run(in: lab.web.namespace, ["tc", "filter", "del", "dev", lab.web.interface, "ingress", "prio", "100"])
        second.close()

        #expect(try !Self.qdiscs(lab).contains("clsact"))
    }

    @Test("The sweep removes every filter a killed run left, however many: 300 on one hook")
    func theSweepHasNoCap() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        try lab.topology.run(in: lab.web.namespace, ["tc", "qdisc", "add", "dev", lab.web.interface, "clsact"])
        let cookie = Self.hex(Self.owner(lab).cookiePrefix + [0, 0, 0, 1])
        let batch = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(lab.topology.prefix).tc")
        defer { try? FileManager.default.removeItem(at: batch) }
        try (1...300).map { "filter add dev \(lab.web.interface) ingress prio \($0) handle 1 bpf bytecode '1,6 0 0 0' "
            + "action mirred egress mirror dev lo cookie \(cookie)\n" }.joined().write(to: batch, atomically: true, encoding: .utf8)
        try ProcessRunner.run(["tc", "-n", lab.web.namespace, "-batch", batch.path])
        #expect(try Self.packetFilters(lab, "ingress").count == 600, "each filter is listed with its classifier instance")

        let removed = await KernelMirrorSweep.sweepWorkloads(of: Self.webInventory(lab), owner: Self.owner(lab), logger: .init(label: "test"))

        #expect(removed == 300)
        #expect(try Self.packetFilters(lab, "ingress").isEmpty)
    }

    @Test("The qdisc the agent added carries its mark on a chain no packet reaches; one that was there before does not")
    func theAgentsQdiscIsMarked() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        _ = try await mirror.add(lab.plan())

        let ingress = try Self.filters(lab, "ingress")
        #expect(ingress.contains("chain \(CTC_MARK_CHAIN) handle 0x1"), "\(ingress)")
        #expect(ingress.contains("cookie " + Self.hex(Self.owner(lab).qdiscMarkCookie)), "\(ingress)")
        #expect(try !Self.filters(lab, "egress").contains("chain \(CTC_MARK_CHAIN)"))
    }

    @Test("A qdisc the agent added and removed again is added and marked anew by the next mirror on the interface")
    func aQdiscThatWentIsMarkedAnew() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let first = try await Self.mirror(lab)
        _ = try await first.add(lab.plan())
        first.close()
        #expect(try !Self.qdiscs(lab).contains("clsact"))

        let second = try await Self.mirror(lab)
        defer { second.close() }
        _ = try await second.add(lab.plan())

        let ingress = try Self.filters(lab, "ingress")
        #expect(ingress.contains("chain \(CTC_MARK_CHAIN) handle 0x1"), "\(ingress)")
        #expect(ingress.contains("cookie " + Self.hex(Self.owner(lab).qdiscMarkCookie)), "\(ingress)")
    }

    @Test("An interface with an `ingress` qdisc (no egress hook) is not mirrored in the kernel: the error sends the tap to userspace and says why, and the qdisc stays unmarked")
    func anIngressQdiscSendsTheTapToUserspace() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        try lab.topology.run(in: lab.web.namespace, ["tc", "qdisc", "add", "dev", lab.web.interface, "ingress"])
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }

        let error = await #expect(throws: KernelMirrorError.self) { _ = try await mirror.add(lab.plan()) }

        #expect(error?.needsUserspace == true)
        #expect(error?.description.contains("the interface has an ingress qdisc, which has no egress hook") == true, "\(String(describing: error))")
        #expect(try Self.qdiscs(lab).contains("ingress"))
        #expect(try Self.filters(lab, "ingress").isEmpty)
    }

    @Test("The sweep after a killed run leaves a qdisc that was there before the run, and removes only the run's filters")
    func theSweepLeavesAnEarlierQdisc() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        try lab.topology.run(in: lab.web.namespace, ["tc", "qdisc", "add", "dev", lab.web.interface, "clsact"])
        let mirror = try await Self.mirror(lab)
        _ = try await mirror.add(lab.plan())
        #expect(try !Self.filters(lab, "ingress").contains("chain \(CTC_MARK_CHAIN)"), "not the agent's qdisc: no mark")

        _ = KernelMirrorSweep.sweepHost(owner: Self.owner(lab), logger: .init(label: "test"))
        let removed = await KernelMirrorSweep.sweepWorkloads(of: Self.webInventory(lab), owner: Self.owner(lab), logger: .init(label: "test"))

        #expect(removed == 2, "the filters on both hooks")
        #expect(try Self.filters(lab, "ingress").isEmpty)
        #expect(try Self.qdiscs(lab).contains("clsact"))
    }

    @Test("Someone else's filter put on the agent's qdisc keeps it: the agent's last filter takes only its mark with it")
    func othersFiltersKeepTheAgentsQdisc() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        _ = try await mirror.add(lab.plan())
        try Self.addForeignFilter(lab, priority: 100)

        mirror.close()

        let remaining = try Self.filters(lab, "ingress")
        #expect(remaining.contains("pref 100 bpf"), "\(remaining)")
        #expect(!remaining.contains("chain \(CTC_MARK_CHAIN)"), "\(remaining)")
        #expect(try Self.qdiscs(lab).contains("clsact"))
    }

    @Test("Frames arriving from the network on the tool's VNI are decapsulated into the tunnel device and dropped at its ingress")
    func theTunnelDeviceLetsNothingIn() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab, vni: 4343)
        defer { mirror.close() }
        let tunnel = try Self.tunnelName(of: mirror)
        let mac = try String(contentsOfFile: "/sys/class/net/\(tunnel)/address", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let received = try Self.deviceCounter(tunnel, "rx_packets")

        // From the tool's side: VXLAN to the host on the tool's VNI, carrying a UDP datagram for the host.
        let datagram = Self.vxlan(vni: 4343, innerDestination: mac.split(separator: ":").compactMap { UInt8($0, radix: 16) },
                                  from: lab.topology.tool.address, to: lab.topology.rootAddress)
        let (host, tool) = (lab.topology.rootAddress, lab.topology.tool.namespace)
        try await NetworkNamespace.named(tool).run {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(4789).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            for _ in 0..<3 {
                _ = datagram.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(socket, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
            }
        }

        try await eventually("the three frames to reach the tunnel device") {
            try Self.deviceCounter(tunnel, "rx_packets") - received >= 3 ? true : nil
        }
        #expect(try Self.ingressDrops(tunnel) == 3)
    }

    @Test("On the veth's host end, what the redirect to the tunnel leaves is dropped, never handed to the host's stack")
    func theVethEndsInADropFilter() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        _ = try await mirror.add(lab.plan())
        let veth = mirror.names.veth(for: lab.web.namespace)

        let ingress = try ProcessRunner.run(["tc", "filter", "show", "dev", veth.host, "ingress"]).stdout

        #expect(ingress.contains("pref 1 bpf"), "the redirect to the tunnel\n\(ingress)")
        #expect(ingress.contains("pref 65535 bpf") && ingress.contains("direct-action"), "then the drop filter\n\(ingress)")
    }

    @Test("Threads sharing one rtnetlink socket each get the answer to their own request", .timeLimit(.minutes(1)))
    func requestsFromManyThreadsDoNotInterleave() throws {
        let route = try NetlinkRoute(subject: "host")
        let wrong = Mutex<[String]>([])

        // Three kinds of request (a link by name, one by index, a dump) from as many threads as there are cores.
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            for _ in 0..<300 {
                switch worker % 3 {
                case 0:
                    let index = ctc_link_find(route.descriptor, "lo", nil, nil)
                    if index != 1 { wrong.withLock { $0.append("lo by name: \(index)") } }
                case 1:
                    let type = ctc_link_type(route.descriptor, 1)
                    if type != 772 { wrong.withLock { $0.append("lo's type: \(type)") } }
                default:
                    let count = ctc_filter_count(route.descriptor, 1, 0)
                    if count != 0 { wrong.withLock { $0.append("filters on lo: \(count)") } }
                }
            }
        }

        #expect(wrong.withLock { $0 } == [])
    }

    /// A statistic of the host's interface `name` from sysfs.
    private static func deviceCounter(_ name: String, _ statistic: String) throws -> UInt64 {
        let text = try String(contentsOfFile: "/sys/class/net/\(name)/statistics/\(statistic)", encoding: .utf8)
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// The packets the `clsact` qdisc of the host's interface `name` dropped (its filters' TC_ACT_SHOT verdicts).
    private static func ingressDrops(_ name: String) throws -> UInt64? {
        let shown = try ProcessRunner.run(["tc", "-s", "qdisc", "show", "dev", name]).stdout
        guard let clsact = shown.range(of: "qdisc clsact") else { return nil }
        guard let dropped = shown[clsact.upperBound...].range(of: "dropped ") else { return nil }
        return UInt64(shown[dropped.upperBound...].prefix { $0.isNumber })
    }

    /// A VXLAN payload (header and inner Ethernet frame, addressed to `innerDestination`) carrying a UDP datagram
    /// from `source` to `destination`.
    private static func vxlan(vni: UInt32, innerDestination: [UInt8], from source: String, to destination: String) -> [UInt8] {
        let header: [UInt8] = [0x08, 0, 0, 0, UInt8(vni >> 16), UInt8((vni >> 8) & 0xFF), UInt8(vni & 0xFF), 0]
        let octets = { (text: String) in text.split(separator: ".").map { UInt8($0) ?? 0 } }
        var inner = SyntheticFrames.udp(from: octets(source), 12345, to: octets(destination), 12345, payload: Array("tap!".utf8))
        inner.replaceSubrange(0..<6, with: innerDestination)
        return header + inner
    }

    @Test("A bandwidth cap is a police action before the tunnel; a kernel without act_police says so, and the tap goes to userspace")
    func bandwidthCapNeedsThePoliceAction() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab, cap: 64_000)
        defer { mirror.close() }
        guard let source = try await PoliceAction.addCappedSource(to: mirror, lab) else { return }
        let (_, tool) = try await lab.watch()
        try await lab.send(chunks: 200, size: 1400, gap: 0)
        // Copies over 1 450 bytes reach the tool as two IP fragments: count reassembled packets.
        try await eventually("the tool to receive every copy within the cap") { () -> Bool? in
            let capped = mirror.counters.capDrops
            return capped > 0 && UInt64(MirrorLab.reassembled(tool).count) + capped == source.counters.packets ? true : nil
        }
    }

    @Test("A namespace whose sources all left gives back its veth pair at once, the tunnel stays for the tap, and its counts stay")
    func aLegWithoutSourcesIsReleased() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        let source = try await mirror.add(lab.plan())
        let veth = mirror.names.veth(for: lab.web.namespace)
        let tunnel = try Self.tunnelName(of: mirror)
        // A tunnel device that is down: each copy's redirect from the veth fails, and the kernel counts it there.
        try ProcessRunner.run(["ip", "link", "set", tunnel, "down"])
        try await lab.send(chunks: 50, size: 200, gap: 0)
        let counted = try await eventually("the redirects to the tunnel to fail") { () -> UInt64? in
            let failed = mirror.counters.sendDrops
            return failed > 0 ? failed : nil
        }

        source.stop()
        mirror.releaseUnusedLegs()

        #expect(try !Self.links().contains(veth.host))
        #expect(try !Self.links(in: lab.web.namespace).contains(veth.workload))
        #expect(try Self.links().contains(tunnel), "the mirror is the tap's until its end")
        #expect(mirror.counters.sendDrops >= counted)
    }

    @Test("A closed mirror answers with the counts the kernel had: its tap's last reports do not fall back to zero")
    func aClosedMirrorKeepsItsCounts() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let mirror = try await Self.mirror(lab)
        defer { mirror.close() }
        _ = try await mirror.add(lab.plan())
        // A tunnel device that is down: each copy's redirect fails, and the kernel counts it on the tap's filter.
        try ProcessRunner.run(["ip", "link", "set", try Self.tunnelName(of: mirror), "down"])
        try await lab.send(chunks: 50, size: 200, gap: 0)
        let counted = try await eventually("the redirects to the tunnel to fail") { () -> UInt64? in
            let failed = mirror.counters.sendDrops
            return failed > 0 ? failed : nil
        }
        mirror.close()
        // The filter that counted them is gone.
        #expect(mirror.counters.sendDrops >= counted)
    }
}
