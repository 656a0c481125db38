import Foundation
import PacketKit
@testable import TapsterAgent
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// The boundaries of in-kernel delivery into a port, each tried from the side that would cross it, in real
/// namespaces: frames a tapped workload writes into the mirror's veth itself, a port's index taken by another
/// device, a port in the agent's own namespace. (The port named otherwise as a source: ``KernelPortMirrorTests``.)
@Suite("In-kernel port delivery's boundaries", .serialized)
struct KernelPortBoundaryTests {
    /// Source MACs of the frames the workload forges: one that the tap's filter (`tcp`) refuses, one it matches.
    private static let refusedMAC = "02:00:5e:10:00:01"
    private static let matchedMAC = "02:00:5e:10:00:02"

    /// Writes `count` IPv4 frames of protocol `proto` from `source` with a raw packet socket on `interface` of
    /// `namespace`: what a process with `CAP_NET_RAW` in the tapped workload can do.
    private static func forge(_ lab: MirrorLab, in namespace: String, on interface: String, source: String, proto: Int, count: Int) throws {
        let script = """
        import socket, struct, sys
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((sys.argv[1], 0))
        src = bytes.fromhex(sys.argv[2].replace(':', ''))
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 1, 0, 64, int(sys.argv[3]), 0, bytes([10, 9, 9, 9]), bytes([10, 9, 9, 8]))
        for _ in range(int(sys.argv[4])):
            s.send(b'\\xff' * 6 + src + b'\\x08\\x00' + ip + bytes(20))
        """
        _ = try lab.topology.run(in: namespace, ["/usr/bin/python3", "-c", script, interface, source, "\(proto)", "\(count)"])
    }

    @Test("Frames the workload writes into the mirror's veth reach the port only when the tap's filter matches them")
    func forgedFramesOutsideTheFilterNeverReachThePort() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (output, hostEnd) = try KernelPortMirrorTests.port(lab)
        let port = try #require(output.port)
        let delivered = try await LiveTshark(name: "forged", namespace: lab.peer.namespace, interface: lab.peer.interface,
                                             captureFilter: "ether src \(Self.refusedMAC) or ether src \(Self.matchedMAC)",
                                             fields: ["eth.src", "ip.proto"], topology: lab.topology, directory: lab.directory)
        let mirror = try await KernelMirrorTests.mirror(lab, to: .port(port))
        defer { mirror.close() }
        _ = try await mirror.add(lab.plan(bpf: "tcp"))
        let veth = mirror.names.veth(for: lab.web.namespace)
        let redirect = try ProcessRunner.run(["tc", "filter", "show", "dev", veth.host, "ingress"]).stdout
        #expect(redirect.contains("Egress Redirect to device \(hostEnd)"), "\(redirect)")

        try Self.forge(lab, in: lab.web.namespace, on: veth.workload, source: Self.refusedMAC, proto: 17, count: 50)
        try Self.forge(lab, in: lab.web.namespace, on: veth.workload, source: Self.matchedMAC, proto: 6, count: 5)
        try await eventually("the matching forged frames to reach the port") {
            delivered.rows.filter { $0["eth.src"] == Self.matchedMAC }.count == 5 ? true : nil
        }
        try await Task.sleep(for: .milliseconds(500))

        #expect(delivered.rows.filter { $0["eth.src"] == Self.refusedMAC }.isEmpty, "UDP frames outside 'tcp' reached the port")
        #expect(delivered.rows.allSatisfy { $0["ip.proto"] == "6" })
        // Counted one reading late (``KernelMirror/refusedFrames``): read until the count is there, then once more.
        try await eventually("the 50 refused frames to be counted") { mirror.refusedFrames == 50 ? true : nil }
        #expect(mirror.refusedFrames == 50, "the kernel counts the frames the tap's filter refused on tpb")
    }

    /// (Uncapped only: this machine's kernel has no `act_police`, and a capped tap takes the userspace path.)
    @Test("While the tap's own copies stream through the mirror's veth, none of them is counted as a refused frame, and frames the workload forges meanwhile are counted exactly")
    func copiesInFlightAreNotCountedAsRefused() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (port, hostEnd) = try KernelPortMirrorTests.port(lab)
        // Ten minutes: under the full suite the test once took 157 s, and at the default minute's deadline the mirror
        // had gone with its veths.
        let deadline = Date().addingTimeInterval(600)
        let mirror = try await KernelMirrorTests.mirror(lab, to: port, deadline: deadline)
        defer { mirror.close() }
        _ = try await mirror.add(lab.plan(bpf: "udp", deadline: deadline))
        let flood = try UDPTraffic.startFlood(from: lab.db, to: lab.web, size: 64, topology: lab.topology, directory: lab.directory)
        defer { flood.stop() }
        // The copies delivered into the port so far: its peer's transmitted packets, as the kernel counts them.
        let delivered = { try UInt64(String(contentsOfFile: "/sys/class/net/\(hostEnd)/statistics/tx_packets", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        let start = try delivered()
        try await eventually("the flood's copies to reach the port") { try delivered() > start + 1_000 ? true : nil }

        // Read while the copies cross tpa → tpb: the veth counts each on tpb before its ingress hook does.
        let first = try delivered()
        var readings: [UInt64] = []
        for _ in 0..<100 {
            readings.append(mirror.refusedFrames)
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(flood.isRunning, "the flood ended before the readings did: \(flood.stderr)")
        #expect(try delivered() > first, "no copy crossed while the mirror was read")
        #expect(readings.allSatisfy { $0 == 0 }, "refused frames read during the flood: \(Set(readings).sorted().suffix(10))")

        // TCP frames written into tpa… by the workload itself, which the tap's filter (udp) refuses, while the flood goes on.
        let veth = mirror.names.veth(for: lab.web.namespace)
        try Self.forge(lab, in: lab.web.namespace, on: veth.workload, source: Self.refusedMAC, proto: 6, count: 50)
        // The refused frames are the hook's drops (nothing over a cap, nothing the redirect failed to send): exact, as
        // the copies go on streaming.
        try await eventually("the 50 forged frames to be counted") { mirror.refusedFrames == 50 ? true : nil }
        var after: [UInt64] = []
        for _ in 0..<100 {
            after.append(mirror.refusedFrames)
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(flood.isRunning)
        #expect(after.allSatisfy { $0 == 50 }, "refused frames read after 50 were forged: \(Set(after).sorted())")
    }

    @Test("A port whose veth was deleted after the mirror began fails a later namespace's source: no redirect by the old index")
    func aDeletedPortFailsTheNextLegInsteadOfARedirectByAStaleIndex() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (output, hostEnd) = try KernelPortMirrorTests.port(lab)
        let port = try #require(output.port)
        let mirror = try await KernelMirrorTests.mirror(lab, to: .port(port))
        defer { mirror.close() }
        _ = try await mirror.add(lab.plan())
        // Deleting one end deletes the pair, and another device takes the peer's index: a redirect by the index
        // the mirror began with would now transmit the copies on it.
        let index = try String(contentsOfFile: "/sys/class/net/\(hostEnd)/ifindex", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try ProcessRunner.run(["ip", "link", "del", hostEnd])
        let squatter = "\(lab.topology.prefix)-sq"
        _ = try ProcessRunner.run(["ip", "link", "add", squatter, "index", index, "type", "veth", "peer", "name", "\(squatter)2"])
        defer { _ = try? ProcessRunner.run(["ip", "link", "del", squatter], allowFailure: true) }
        let db = CapturePlan(tapID: "tap-\(lab.topology.prefix)",
                             source: CaptureSource(workload: "db", namespace: .named(lab.db.namespace), interface: lab.db.interface),
                             bpf: "", snaplen: 0, direction: .both, deadline: Date().addingTimeInterval(60))

        let error = await #expect(throws: KernelMirrorError.self) { _ = try await mirror.add(db) }

        #expect(error?.step == .port, "\(String(describing: error))")
        #expect(error?.description.contains("delivering into the port (\(port))") == true, "\(String(describing: error))")
        #expect(try !KernelMirrorTests.links().contains(mirror.names.veth(for: lab.db.namespace).host), "no veth pair, no redirect, for db")
    }

    @Test("A port in the agent's own namespace is refused, by name or by another path to it, and the tap goes to userspace")
    func aPortInTheHostsNamespaceIsRefused() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        // A host-only veth pair, as cilium_host/cilium_net: both ends in the agent's namespace.
        let (near, far) = ("\(lab.topology.prefix)-h0", "\(lab.topology.prefix)-h1")
        _ = try ProcessRunner.run(["ip", "link", "add", near, "type", "veth", "peer", "name", far])
        defer { _ = try? ProcessRunner.run(["ip", "link", "del", near], allowFailure: true) }

        for namespace in [NetworkNamespace.host, .path("/proc/self/ns/net")] {
            let port = KernelMirror.Port(namespace: namespace, interface: near)
            let error = await #expect(throws: KernelMirrorError.self) { (try await KernelMirrorTests.mirror(lab, to: .port(port))).close() }
            #expect(error?.step == .port)
            #expect(error?.needsUserspace == true)
            #expect(error?.description.contains("\(near) is in the agent's own namespace") == true, "\(String(describing: error))")
        }
        #expect(Datapath.choose(for: DesiredTap(tapID: "t1", deadline: Date().addingTimeInterval(60), bpf: "", snaplen: 0,
                                                destination: .port(PortDelivery(host: "node-1", netns: nil, interface: near))),
                                preference: .kernel, portDelivery: true) == .userspace(reason: Datapath.hostPortReason))
    }
}
