import TapsterSystemTestSupport
import Foundation
import PacketKit
import TapsterAgent
import TapsterCore
import Testing

/// What a capture session takes from its plan — snap length, direction, BPF, deadline, bandwidth cap —
/// seen from the tool's side of a real tunnel and compared with tshark on the tapped interface itself.
@Suite("Capture sessions honour their plan", .serialized)
struct CaptureSessionTests {
    @Test("A snap length of 128 cuts every mirrored frame to 128 bytes and marks it truncated")
    func snaplenTruncates() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let session = CaptureSession(plan: lab.plan(snaplen: 128), sink: try lab.sink(.erspanII(sessionID: 5)))
        try await session.start()
        defer { session.stop() }
        try await lab.send(chunks: 10, size: 1000)
        let expected = try await lab.settle(session, reference: reference, tool: tool)

        let mirrored = tool.rows
        // tshark counts tcp.len from the bytes it has, so compare every header field but that one.
        let headers = { (row: LiveTshark.Row) in MirrorLab.packet(row).dropLast() }
        #expect(MirrorLab.packetFields.last == "tcp.len")
        #expect(mirrored.map(headers) == expected.map(headers), "headers survive the cut")
        #expect(expected.filter { Int($0["frame.len"] ?? "") ?? 0 > 128 }.count >= 10, "the 1000-byte segments are longer")
        let outer = 14 + 20 + ERSPANTypeIIEncapsulator.headerLength
        for (mirror, original) in zip(mirrored, expected) {
            let length = try #require(Int(original["frame.len"] ?? ""))
            #expect(mirror["frame.len"] == String(outer + min(length, 128)))
            #expect(mirror["erspan.truncated"] == (length > 128 ? "1" : "0"))
        }
        #expect(session.counters.bytes == expected.reduce(0) { $0 + (UInt64($1["frame.len"] ?? "") ?? 0) }, "bytes count wire lengths")
    }

    @Test("Direction in or out carries only the packets entering or leaving the workload", arguments: [Direction.in, .out])
    func directionSelects(_ direction: Direction) async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let session = CaptureSession(plan: lab.plan(direction: direction), sink: try lab.sink(.vxlan(vni: 77)))
        try await session.start()
        defer { session.stop() }
        try await lab.send()
        let web = lab.web.mac
        // Out is what web sent; in is everything else that crossed its interface, whatever its destination MAC (a
        // broadcast or multicast frame enters too, though the lab's wires carry none: NetnsTopology keeps them quiet).
        let expected = try await lab.settle(session, reference: reference, tool: tool) { ($0["eth.src"] == web) == (direction == .out) }

        #expect(expected.count >= 8)
        #expect(reference.rows.count > expected.count, "the other direction had packets too")
        #expect(tool.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
    }

    @Test("A BPF peer restriction keeps traffic with that peer and excludes another peer's")
    func bpfRestrictsPeer() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let session = CaptureSession(plan: lab.plan(bpf: "host \(lab.db.address)"), sink: try lab.sink(.gre(key: 9)))
        try await session.start()
        defer { session.stop() }
        try await lab.send(to: lab.peer)
        try await lab.send(to: lab.db)
        let db = lab.db.address
        let expected = try await lab.settle(session, reference: reference, tool: tool, connections: 2) { $0["ip.src"] == db || $0["ip.dst"] == db }

        #expect(reference.rows.contains { $0["ip.dst"] == lab.peer.address }, "web did talk to the other peer")
        #expect(expected.count >= 16)
        #expect(tool.rows.map(MirrorLab.packet) == expected.map(MirrorLab.packet))
    }

    @Test("At its deadline the session stops by itself, reports stopped(deadline), and nothing later is sent")
    func deadlineStopsByItself() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        // Far enough for the traffic to start before it on a loaded machine (the sender is a process started in the namespace).
        let deadline = Date().addingTimeInterval(6)
        let session = CaptureSession(plan: lab.plan(deadline: deadline), sink: try lab.sink(.erspanIII(sessionID: 8)))
        let endedAt = LockedValue<Date?>(nil)
        session.onEnd { _ in endedAt.set(Date()) }
        try await session.start()
        defer { session.stop() }
        // 12 s of traffic, the deadline in its middle; nobody calls stop().
        try await lab.send(chunks: 240, size: 100, gap: 0.05)

        #expect(try await session.ended() == .stopped(.deadline))
        let stoppedAt = try #require(endedAt.value)
        #expect(abs(stoppedAt.timeIntervalSince(deadline)) < 1.0, "stopped at \(stoppedAt), deadline \(deadline)")
        let rows = try await eventually(timeout: .seconds(60), "the reference to see the connection close") { () -> [LiveTshark.Row]? in
            let rows = reference.rows
            return MirrorLab.finishedDirections(rows) == 2 ? rows : nil
        }
        try await eventually(timeout: .seconds(30), "the tool to receive what was forwarded") {
            UInt64(tool.rows.count) == session.counters.forwarded ? true : nil
        }
        let epoch = deadline.timeIntervalSince1970
        let time = { (row: LiveTshark.Row) in Double(row["frame.time_epoch"] ?? "") ?? 0 }
        let before = rows.filter { time($0) < epoch }
        #expect(before.count > 10, "traffic began well before the deadline: \(before.count) packets")
        #expect(rows.contains { time($0) > epoch + 0.5 }, "traffic went on after the deadline")
        #expect(tool.rows.map(MirrorLab.packet) == before.map(MirrorLab.packet), "exactly the packets before the deadline")
        #expect(tool.rows.allSatisfy { time($0) < epoch + 0.1 }, "nothing reached the tool after the deadline")
    }

    @Test("A bandwidth cap refuses packets over it and counts them: packets = forwarded + cap drops")
    func bandwidthCapCountsDrops() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (reference, tool) = try await lab.watch()
        let cap: UInt64 = 100_000
        let session = CaptureSession(plan: lab.plan(bandwidthCap: cap), sink: try lab.sink(.erspanII(sessionID: 6)))
        try await session.start()
        defer { session.stop() }
        // About 150 kB in a fraction of a second: well over a 64 KiB burst and 100 kbit/s.
        try await lab.send(chunks: 150, size: 1000, gap: 0.001)
        let expected = try await lab.settle(session, reference: reference, tool: tool)

        let counters = session.counters
        #expect(counters.capDrops > 0)
        #expect(counters.sendDrops == 0)
        #expect(counters.packets == UInt64(expected.count))
        #expect(counters.packets == UInt64(tool.rows.count) + counters.capDrops)
        let sentBytes = tool.rows.reduce(0) { $0 + (Int($1["frame.len"] ?? "") ?? 0) - (14 + 20 + ERSPANTypeIIEncapsulator.headerLength) }
        let times = expected.compactMap { Double($0["frame.time_epoch"] ?? "") }
        let seconds = (times.max() ?? 0) - (times.min() ?? 0)
        let allowance = Double(TokenBucket.defaultBurst(for: cap)) / 8 + Double(cap) / 8 * seconds
        #expect(Double(sentBytes) <= allowance, "\(sentBytes) bytes forwarded in \(seconds) s")
        // What passed is a subsequence of what crossed the interface, in order.
        var remaining = expected.map(MirrorLab.packet)[...]
        for packet in tool.rows.map(MirrorLab.packet) {
            guard let index = remaining.firstIndex(of: packet) else {
                Issue.record("forwarded packet \(packet) is not among the captured ones, in order")
                break
            }
            remaining = remaining[(index + 1)...]
        }
    }

    @Test("A bandwidth cap is one budget per tap per host: the tap's captures of two interfaces together stay within it")
    func bandwidthCapIsSharedByTheTapsInterfaces() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let (_, tool) = try await lab.watch()
        let cap: UInt64 = 100_000
        let budget = BandwidthBudget(bitsPerSecond: cap)
        let eth0 = CaptureSession(plan: lab.plan(bandwidthCap: cap), sink: try lab.sink(.erspanII(sessionID: 6)), budget: budget)
        let loopback = CaptureSession(plan: lab.plan(bandwidthCap: cap, interface: "lo"), sink: try lab.sink(.erspanII(sessionID: 7)),
                                      budget: budget)
        try await eth0.start()
        defer { eth0.stop() }
        try await loopback.start()
        defer { loopback.stop() }
        // About 150 kB on each interface at once: each alone could fill a whole burst (64 KiB) of its own.
        let started = Date()
        async let tcp: Void = lab.send(chunks: 150, size: 1000, gap: 0.001)
        let udp = try lab.topology.spawn(in: lab.web.namespace, name: "udp-on-lo", ["python3", "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(150):
                s.sendto(b"x" * 1000, ("127.0.0.1", 9)); time.sleep(0.001)
            """], directory: lab.directory)
        try await tcp
        #expect(try await udp.waitForExit() == 0, "\(udp.stderr)")
        let seconds = Date().timeIntervalSince(started)
        try await eventually(timeout: .seconds(30), "both captures to have seen their traffic and the tool all they forwarded") { () -> Bool? in
            let (a, b) = (eth0.counters, loopback.counters)
            return a.packets >= 150 && b.packets >= 150 && UInt64(tool.rows.count) == a.forwarded + b.forwarded ? true : nil
        }
        let (a, b) = (eth0.counters, loopback.counters)
        #expect(a.capDrops > 0 && b.capDrops > 0, "both interfaces over the one budget: \(a.capDrops), \(b.capDrops)")
        #expect(a.packets == a.forwarded + a.capDrops && b.packets == b.forwarded + b.capDrops)
        let forwardedBytes = tool.rows.reduce(0) { $0 + (Int($1["frame.len"] ?? "") ?? 0) - (14 + 20 + ERSPANTypeIIEncapsulator.headerLength) }
        let oneBudget = Double(TokenBucket.defaultBurst(for: cap)) / 8 + Double(cap) / 8 * seconds
        #expect(Double(forwardedBytes) <= oneBudget, "\(forwardedBytes) bytes forwarded over two interfaces in \(seconds) s; one budget allows \(oneBudget)")
    }
}

