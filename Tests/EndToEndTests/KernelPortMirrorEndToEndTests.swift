import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// In-kernel mirroring into a port with a real server and an agent run with `--datapath kernel --kernel-port-delivery`: a port whose
/// veth's other end is in the agent's namespace is mirrored by the kernel and receives what the userspace path
/// delivers into a port for the same traffic; a port on the lab's bridge stays in userspace and says why; and
/// a killed agent's mirror is swept by its restart.
@Suite("In-kernel mirroring into a port end to end", .serialized, .timeLimit(.minutes(5)))
struct KernelPortMirrorEndToEndTests {
    /// The fields that tell mirrored datagrams apart at a monitor: the 5-tuple and the IP id.
    static let fields = ["ip.src", "ip.dst", "ip.proto", "udp.srcport", "udp.dstport", "ip.id"]

    @Test func aLocalPortIsMirroredInTheKernelAndReceivesWhatTheUserspacePathDelivers() async throws {
        try await DataPlaneLab.with(roles: ["web", "db", "mona", "monb"], agentArguments: ["--datapath", "kernel", "--kernel-port-delivery"]) { lab in
            let (web, db) = (lab.topology["web"], lab.topology["db"])
            // mona's other end goes to the agent's namespace, where container runtimes keep host ends; monb's stays
            // on the lab's bridge, in the bridge's namespace.
            _ = try lab.topology.movePortPeerToRoot(of: "mona")
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "udp port \(UDPTraffic.port)"])
            try await PortDeliveryEndToEndTests.deliver("web", into: "mona", as: "into-a", lab: lab)
            try await PortDeliveryEndToEndTests.deliver("web", into: "monb", as: "into-b", lab: lab)
            try await PortDeliveryEndToEndTests.introduce(web, db, lab: lab)
            let inKernel = try await lab.createTap(filter: "web", target: "into-a")
            let inUserspace = try await lab.createTap(filter: "web", target: "into-b")
            let kernelStatus = try await lab.waitForTap(inKernel, state: .applied)
            let userspaceStatus = try await lab.waitForTap(inUserspace, state: .applied)
            let kernelMonitor = try await Self.monitor(lab.topology["mona"], lab: lab)
            defer { kernelMonitor.stop() }
            let userspaceMonitor = try await Self.monitor(lab.topology["monb"], lab: lab)
            defer { userspaceMonitor.stop() }

            try await UDPTraffic.send(from: web, to: db, count: 20, size: 100, topology: lab.topology, directory: lab.scratch)

            let viaKernel = try await PortDeliveryEndToEndTests.settledRows(of: kernelMonitor, atLeast: 20)
            let viaUserspace = try await PortDeliveryEndToEndTests.settledRows(of: userspaceMonitor, atLeast: 20)
            #expect(kernelStatus.datapath == .kernel)
            #expect(kernelStatus.datapathReason == nil)
            #expect(userspaceStatus.datapath == .userspace)
            #expect(userspaceStatus.datapathReason?.contains("eth0's veth peer is not in the agent's namespace") == true,
                    "\(userspaceStatus.datapathReason ?? "no reason")")
            let shown = try await lab.admin(["tap", "get", inKernel]).stdout
            let row = try #require(shown.split(separator: "\n").first { $0.contains(lab.agentName) && $0.contains("applied") }, "\(shown)")
            #expect(row.contains(" kernel "), "\(shown)")
            #expect(viaKernel.count == 20)
            #expect(viaKernel.allSatisfy { $0["ip.src"] == web.address && $0["ip.dst"] == db.address })
            #expect(viaKernel.map(Self.tuple) == viaUserspace.map(Self.tuple), "the same datagrams, in the same order, on both paths")
            let counted = try await eventually("the agent to report the kernel's count") { () -> UInt64? in
                let packets = try await lab.agentStatus(tap: inKernel)?.packets ?? 0
                return packets >= 20 ? packets : nil
            }
            #expect(counted == UInt64(viaKernel.count), "the kernel's count is what the port received")

            // A killed agent leaves its mirror in the kernel; the taps stop while it is gone; its restart sweeps.
            #expect(try Self.agentFilters(on: web, lab: lab) > 0)
            lab.killAgent()
            try await lab.owner(["tap", "stop", inKernel])
            try await lab.owner(["tap", "stop", inUserspace])
            #expect(try Self.agentFilters(on: web, lab: lab) > 0, "the killed agent's filters outlive it")
            try await lab.startAgent()
            try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the restarted agent to sweep the killed one's filters") {
                try Self.agentFilters(on: web, lab: lab) == 0 ? true : nil
            }
            let qdiscs = try ProcessRunner.run(["tc", "-n", web.namespace, "qdisc", "show", "dev", web.interface]).stdout
            #expect(!qdiscs.contains("clsact"), "the qdisc the killed agent added went with its filters: \(qdiscs)")
            let devices = try ProcessRunner.run(["ip", "-o", "-d", "link"]).stdout.split(separator: "\n")
                .filter { $0.contains("alias tapster mirror \(lab.agentName): ") }
            #expect(devices.isEmpty, "the veths are gone: \(devices)")
        }
    }

    @Test func withoutKernelPortDeliveryALocalPortIsDeliveredFromUserspaceAndTapGetSaysWhy() async throws {
        try await DataPlaneLab.with(roles: ["web", "db", "mona"], agentArguments: ["--datapath", "kernel"]) { lab in
            let (web, db) = (lab.topology["web"], lab.topology["db"])
            // A port the kernel path could reach (its other end in the agent's namespace): only the opt-in is missing.
            _ = try lab.topology.movePortPeerToRoot(of: "mona")
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "udp port \(UDPTraffic.port)"])
            try await PortDeliveryEndToEndTests.deliver("web", into: "mona", as: "into-a", lab: lab)
            try await PortDeliveryEndToEndTests.introduce(web, db, lab: lab)
            let tap = try await lab.createTap(filter: "web", target: "into-a")
            let status = try await lab.waitForTap(tap, state: .applied)
            let monitor = try await Self.monitor(lab.topology["mona"], lab: lab)
            defer { monitor.stop() }

            try await UDPTraffic.send(from: web, to: db, count: 20, size: 100, topology: lab.topology, directory: lab.scratch)

            #expect(status.datapath == .userspace)
            #expect(status.datapathReason?.hasPrefix("monitor ports are delivered from userspace unless the agent runs with --kernel-port-delivery: ") == true,
                    "\(status.datapathReason ?? "no reason")")
            let shown = try await lab.admin(["tap", "get", tap]).stdout
            #expect(shown.contains("--kernel-port-delivery"), "\(shown)")
            #expect(try await PortDeliveryEndToEndTests.settledRows(of: monitor, atLeast: 20).count == 20, "delivered from userspace")
            #expect(try Self.agentFilters(on: web, lab: lab) == 0, "nothing of the kernel path on the tapped interface")
        }
    }

    /// tshark on a monitor's eth0: the test's datagrams with ``fields``.
    static func monitor(_ host: NetnsTopology.Host, lab: DataPlaneLab) async throws -> LiveTshark {
        try await LiveTshark(name: "monitor-\(host.role)", namespace: host.namespace, interface: "eth0",
                             captureFilter: "udp port \(UDPTraffic.port)", fields: fields, topology: lab.topology, directory: lab.scratch)
    }

    static func tuple(_ row: LiveTshark.Row) -> [String] { fields.map { row[$0] ?? "" } }

    /// How many filters `tc filter show` lists on both hooks of `host`'s interface (only the agent adds any there:
    /// the lab's workloads have none of their own).
    static func agentFilters(on host: NetnsTopology.Host, lab: DataPlaneLab) throws -> Int {
        try ["ingress", "egress"].map { hook in
            try ProcessRunner.run(["tc", "-n", host.namespace, "filter", "show", "dev", host.interface, hook], allowFailure: true).stdout
                .split(separator: "\n").filter { $0.hasPrefix("filter ") && $0.contains(" bpf ") }.count
        }.reduce(0, +)
    }
}
