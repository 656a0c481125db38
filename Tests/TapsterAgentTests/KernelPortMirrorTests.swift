import Foundation
@testable import TapsterAgent
import TapsterCore
import TapsterSystemTestSupport
import TapsterWire
import Logging
import Testing

/// In-kernel mirrors into a port on this host, in real namespaces: the lab's `peer` is the port, its veth's
/// other end moved off the bridge into the host's namespace (where container runtimes keep host ends). The
/// port receives exactly the packets tshark saw on the tapped interface, counted by the kernel, and nothing
/// the agent added outlives the mirror.
@Suite("In-kernel mirrors into a port", .serialized)
struct KernelPortMirrorTests {
    /// The lab's `peer` as the port, with its veth's other end in the host's namespace; that end's name.
    static func port(_ lab: MirrorLab) throws -> (port: KernelMirror.Output, hostEnd: String) {
        let hostEnd = try lab.topology.movePortPeerToRoot(of: "peer")
        return (.port(KernelMirror.Port(namespace: .named(lab.peer.namespace), interface: lab.peer.interface)), hostEnd)
    }

    @Test("The port receives exactly the packets that crossed the tapped interface, counted by the kernel")
    func deliversEveryMatchedPacketIntoThePort() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, _) = try Self.port(lab)
        let (reference, delivered) = try await lab.watch(port: lab.peer)
        let mirror = try await KernelMirrorTests.mirror(lab, to: port)
        defer { mirror.close() }
        let source = try await mirror.add(lab.plan())
        try await lab.send()
        let expected = try await lab.settle(source, reference: reference, tool: delivered)

        #expect(expected.count >= 20)
        #expect(delivered.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
        #expect(source.counters.bytes == expected.reduce(0) { $0 + (UInt64($1["frame.len"] ?? "") ?? 0) }, "bytes count wire lengths")
        #expect(mirror.counters.sendDrops == 0 && mirror.counters.capDrops == 0)
        #expect(source.state == .running)
    }

    @Test("tc shows the tap's filters and the redirect to the port's other end while it runs, and nothing once it is closed")
    func closeRemovesEverythingButThePort() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, hostEnd) = try Self.port(lab)
        let mirror = try await KernelMirrorTests.mirror(lab, to: port)
        let source = try await mirror.add(lab.plan())
        let veth = mirror.names.veth(for: lab.web.namespace)

        let redirect = try ProcessRunner.run(["tc", "filter", "show", "dev", veth.host, "ingress"]).stdout
        #expect(redirect.contains("pref 1 bpf") && redirect.contains("Egress Redirect to device \(hostEnd)"), "\(redirect)")
        #expect(try KernelMirrorTests.filters(lab, "ingress").contains("bpf"))
        #expect(try KernelMirrorTests.filters(lab, "egress").contains("bpf"))

        mirror.close()

        #expect(source.state == .stopped(.requested))
        #expect(try KernelMirrorTests.filters(lab, "ingress").isEmpty)
        #expect(try KernelMirrorTests.filters(lab, "egress").isEmpty)
        #expect(try !KernelMirrorTests.links().contains(veth.host))
        #expect(try KernelMirrorTests.links().contains(hostEnd), "the port's other end is the workload's, never deleted")
    }

    @Test("At its deadline the port mirror removes itself, with no one asking")
    func deadlineRemovesThePortMirror() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, hostEnd) = try Self.port(lab)
        // Far enough for the source to be added first: under a full suite on 2 cores making the veth pair took over 2 s,
        // once over 10 s, and a mirror past its deadline takes no source (ECANCELED).
        let mirror = try await KernelMirrorTests.mirror(lab, to: port, deadline: Date().addingTimeInterval(30))
        let source = try await mirror.add(lab.plan())
        let veth = mirror.names.veth(for: lab.web.namespace)
        try await eventually("the mirror to stop at its deadline") { source.state.hasEnded ? true : nil }

        #expect(source.state == .stopped(.deadline))
        #expect(try KernelMirrorTests.filters(lab, "ingress").isEmpty)
        #expect(try KernelMirrorTests.filters(lab, "egress").isEmpty)
        try await eventually("the veth to go") { try KernelMirrorTests.links().contains(veth.host) ? nil : true }
        #expect(try KernelMirrorTests.links().contains(hostEnd))
    }

    @Test("The sweep at agent start removes what a killed run left of a port mirror: the veth with its redirect, and the workload's filters")
    func sweepRemovesAPortMirrorsLeftovers() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, hostEnd) = try Self.port(lab)
        // A mirror never closed: what an agent killed with SIGKILL leaves.
        _ = try await KernelMirrorTests.mirror(lab, to: port).add(lab.plan())

        let host = KernelMirrorSweep.sweepHost(owner: KernelMirrorTests.owner(lab), logger: .init(label: "test"))
        let workloads = await KernelMirrorSweep.sweepWorkloads(of: KernelMirrorTests.webInventory(lab), owner: KernelMirrorTests.owner(lab), logger: .init(label: "test"))

        #expect(host == 2, "the veth's redirect filter and the veth: a port mirror has no tunnel device")
        #expect(workloads == 3, "the filters on both hooks, and the qdisc the killed run added")
        #expect(try KernelMirrorTests.filters(lab, "ingress").isEmpty)
        #expect(try KernelMirrorTests.filters(lab, "egress").isEmpty)
        #expect(try KernelMirrorTests.links().contains(hostEnd))
    }

    @Test("A port whose veth's other end is not in the host's namespace, or that is no veth, sends the tap to userspace, saying why")
    func aPortWithoutAHostEndNeedsUserspace() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        // db's other end stays on the lab's bridge, in the bridge's namespace.
        let bridged = KernelMirror.Port(namespace: .named(lab.db.namespace), interface: lab.db.interface)
        try lab.topology.run(in: lab.db.namespace, ["ip", "link", "add", "mon9", "type", "bridge"])
        let bridge = KernelMirror.Port(namespace: .named(lab.db.namespace), interface: "mon9")

        for (port, why) in [(bridged, "eth0's veth peer is not in the agent's namespace, and the kernel's redirect reaches only devices of its own namespace"),
                            (bridge, "mon9 is a bridge interface, not a veth")] {
            do {
                let mirror = try await KernelMirrorTests.mirror(lab, to: .port(port))
                mirror.close()
                Issue.record("a mirror into \(port) was set up")
            } catch let error as KernelMirrorError {
                #expect(error.needsUserspace, "\(error)")
                #expect(error.step == .port)
                #expect(error.description.hasPrefix("delivering into the port (\(port)): finding the port's veth peer: \(why)"), "\(error)")
            }
        }
    }

    @Test("The port the mirror delivers into is refused as one of its sources, by its name or another (an altname, another path to its namespace): its copies would be mirrored again")
    func thePortIsNeverASource() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, _) = try Self.port(lab)
        // The same interface under another name: the refusal is by its index in its namespace, not by names.
        _ = try lab.topology.run(in: lab.peer.namespace, ["ip", "link", "property", "add", "dev", lab.peer.interface, "altname", "renamed0"])
        let mirror = try await KernelMirrorTests.mirror(lab, to: port)
        defer { mirror.close() }
        let otherPath = NetworkNamespace.path("\(NetworkNamespace.namedDirectory)/\(lab.peer.namespace)")
        for (namespace, interface) in [(NetworkNamespace.named(lab.peer.namespace), lab.peer.interface), (otherPath, "renamed0")] {
            let plan = CapturePlan(tapID: "tap-\(lab.topology.prefix)", source: CaptureSource(workload: "peer", namespace: namespace, interface: interface),
                                   bpf: "", snaplen: 0, direction: .both, deadline: Date().addingTimeInterval(60))

            let error = await #expect(throws: KernelMirrorError.self) { _ = try await mirror.add(plan) }

            #expect(error?.step == .portIsSource, "\(String(describing: error))")
            #expect(error?.needsUserspace == false)
            #expect(try ProcessRunner.run(["tc", "-n", lab.peer.namespace, "filter", "show", "dev", lab.peer.interface, "ingress"],
                                          allowFailure: true).stdout.isEmpty)
        }
    }

    @Test("A bandwidth cap is the police action before the port; a kernel without act_police says so, and the tap goes to userspace")
    func bandwidthCapOnAPort() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, _) = try Self.port(lab)
        let mirror = try await KernelMirrorTests.mirror(lab, to: port, cap: 64_000)
        defer { mirror.close() }
        guard let source = try await PoliceAction.addCappedSource(to: mirror, lab) else { return }
        let (_, delivered) = try await lab.watch(port: lab.peer)
        try await lab.send(chunks: 200, size: 1400, gap: 0)
        try await eventually("the port to receive every copy within the cap") { () -> Bool? in
            let capped = mirror.counters.capDrops
            return capped > 0 && UInt64(delivered.rows.count) + capped == source.counters.packets ? true : nil
        }
    }
}
