import TapsterSystemTestSupport
import Foundation
import Logging
import Synchronization
import PacketKit
@testable import TapsterAgent
import TapsterCore
import TapsterWire
import Testing

/// A host's flight recorders on real interfaces: a look-back on a non-Ethernet source filters and describes its
/// packets as that source frames them (M2); a recorder's sources are reconciled one by one, so a workload appearing
/// on the host leaves the others' rings and look-backs alone, and a look-back is served by the recorder the server
/// named (M3).
@Suite("Recorder sources: link types, per-source reconciliation, the named recorder", .serialized)
struct RecorderSourceTests {
    static let logger = Logger(label: "test.recorders")

    @Test("A look-back with `not port 22` on a tun (raw IP) keeps no port-22 packet, held or live, and is described as raw IP")
    func lookBackOnTunFiltersForItsLinkType() async throws {
        let lab = try await TunLab(tuns: 1)
        defer { lab.tearDown() }
        try await withRecorders { recorders in
            await recorders.apply([lab.recorder("rec", sources: [0])])
            let recording = try #require(await recorders.recording(lab.source(0), by: "rec"))
            // The live path: a capture of its own on the same interface, with the same expression.
            let live = CollectingSink()
            let liveSession = CaptureSession(plan: lab.plan(0, bpf: "not port 22"), sink: live)
            try await liveSession.start()
            defer { liveSession.stop() }
            #expect(liveSession.linkType == .raw, "libpcap opens a tun as raw IP")
            #expect(recording.session.linkType == liveSession.linkType)

            let since = WallClock.nanoseconds()
            try lab.send(tun: 0, ports: [22, 80], count: 5, payload: "HELD")
            try await eventually("the recorder to hold the packets") { recording.sink.status.packetsHeld.load(ordering: .relaxed) >= 10 ? true : nil }

            let collected = CollectingSink()
            let capture = LookBackCapture(plan: lab.plan(0, bpf: "not port 22"), recorder: recording.session)
            let consumer = try LookBackConsumer(capture: capture, since: since, sink: collected, budget: nil,
                                                linkType: try #require(recording.session.linkType))
            recording.sink.attach(consumer)
            defer { capture.stop() }
            try await eventually("the look-back to join") { capture.state == .running ? true : nil }
            try lab.send(tun: 0, ports: [22, 80], count: 5, payload: "LIVE")

            let packets = try await eventually("the look-back's port-80 packets, held and live") { () -> [Data]? in
                let packets = collected.packets
                return packets.filter { RawIP.udpPayload($0) == "LIVE" }.count >= 5 ? packets : nil
            }
            let udp = packets.compactMap(RawIP.udpDestinationPort)
            #expect(!udp.contains(22), "no port-22 packet in the look-back")
            #expect(udp.filter { $0 == 80 }.count == 10, "every port-80 packet, 5 held and 5 live")
            #expect(packets.allSatisfy { RawIP.version($0) == 4 || RawIP.version($0) == 6 }, "raw IP, no link-layer header")
            // The live path agrees.
            let livePorts = try await eventually("the live capture's packets") { () -> [UInt16]? in
                let ports = live.packets.compactMap(RawIP.udpDestinationPort)
                return ports.count >= 10 ? ports : nil
            }
            #expect(!livePorts.contains(22))

            // The capture's interface: described with the recorder's framing, as the live capture's would be.
            #expect(capture.shared.linkType == liveSession.linkType)
            #expect(capture.linkType == liveSession.linkType)
            let factory = SinkFactory(hostName: "node1", tunnelAddress: nil, logger: Self.logger)
            let described = factory.captureInterface(for: capture.plan, index: 0, linkType: try #require(capture.linkType))
            #expect(described.linkType == 101, "LINKTYPE_RAW in the capture's IDB")
            #expect(factory.captureInterface(for: capture.plan, index: 0).linkType == 1)
        }
    }

    @Test("A second workload appearing on the host leaves the first's ring and its attached look-back untouched")
    func anotherSourceLeavesTheRingAlone() async throws {
        let lab = try await TunLab(tuns: 2)
        defer { lab.tearDown() }
        try await withRecorders { recorders in
            await recorders.apply([lab.recorder("rec", sources: [0])])
            let first = try #require(await recorders.recording(lab.source(0), by: "rec"))
            try lab.send(tun: 0, ports: [80], count: 5, payload: "EARLY")
            try await eventually("the ring to hold the packets") { first.sink.status.packetsHeld.load(ordering: .relaxed) >= 5 ? true : nil }
            let reservedBefore = first.sink.status.reserved.load(ordering: .relaxed)

            let collected = CollectingSink()
            let capture = LookBackCapture(plan: lab.plan(0, bpf: "udp"), recorder: first.session)
            do {
                let consumer = try LookBackConsumer(capture: capture, since: 1, sink: collected, budget: nil,
                                                    linkType: try #require(first.session.linkType))
                first.sink.attach(consumer)
            }
            defer { capture.stop() }
            try await eventually("the look-back to join") { capture.state == .running ? true : nil }

            // The second workload appears: the recorder's definition on this host changes.
            await recorders.apply([lab.recorder("rec", sources: [0, 1])])
            let kept = try #require(await recorders.recording(lab.source(0), by: "rec"))
            #expect(kept.session === first.session, "the first source's capture goes on")
            #expect(kept.sink === first.sink, "and keeps its ring")
            #expect(first.session.state == .running)
            #expect(capture.state == .running, "the look-back attached before is still attached")
            let second = try #require(await recorders.recording(lab.source(1), by: "rec"))
            #expect(second.session !== first.session)
            // The byte limit is shared by two now: the kept ring was halved in place, keeping its packets.
            #expect(first.sink.status.reserved.load(ordering: .relaxed) == reservedBefore / 2)
            #expect(first.sink.status.packetsHeld.load(ordering: .relaxed) >= 5)

            try lab.send(tun: 0, ports: [80], count: 5, payload: "LATER")
            let payloads = try await eventually("the look-back to receive the later packets") { () -> [String]? in
                let payloads = collected.packets.compactMap(RawIP.udpPayload)
                return payloads.filter { $0 == "LATER" }.count >= 5 ? payloads : nil
            }
            #expect(payloads.filter { $0 == "EARLY" }.count == 5, "held before, handed over once")

            // A look-back that joins now still finds the packets held before the change.
            let again = CollectingSink()
            let late = LookBackCapture(plan: lab.plan(0, bpf: "udp"), recorder: kept.session)
            let lateConsumer = try LookBackConsumer(capture: late, since: 1, sink: again, budget: nil, linkType: try #require(kept.session.linkType))
            kept.sink.attach(lateConsumer)
            defer { late.stop() }
            let held = try await eventually("the ring's packets") { () -> [String]? in
                let payloads = again.packets.compactMap(RawIP.udpPayload)
                return payloads.filter { $0 == "LATER" }.count >= 5 ? payloads : nil
            }
            #expect(held.filter { $0 == "EARLY" }.count == 5, "the packets held before the second workload appeared are still held")

            // The second workload leaves: the first's ring stays (and grows back), its look-backs attached.
            await recorders.apply([lab.recorder("rec", sources: [0])])
            #expect(await recorders.recording(lab.source(0), by: "rec")?.sink === first.sink)
            #expect(await recorders.recording(lab.source(1), by: "rec") == nil)
            #expect(capture.state == .running && late.state == .running)
            try await eventually("the ring to grow back") { first.sink.status.reserved.load(ordering: .relaxed) == reservedBefore ? true : nil }

            // A change of the recorder's window does restart its sources (their assignment changed).
            var changed = lab.recorder("rec", sources: [0])
            changed.windowNanoseconds += 1_000_000_000
            await recorders.apply([changed])
            #expect(await recorders.recording(lab.source(0), by: "rec")?.sink !== first.sink)
            _ = try await capture.ended()
        }
    }

    @Test("A new expression (a peer's address changed) is taken by the running capture: the ring and its look-backs stay")
    func aNewExpressionKeepsTheRing() async throws {
        let lab = try await TunLab(tuns: 1)
        defer { lab.tearDown() }
        try await withRecorders { recorders in
            var recorder = lab.recorder("rec", sources: [0])
            recorder.bpf = "udp"
            await recorders.apply([recorder])
            let first = try #require(await recorders.recording(lab.source(0), by: "rec"))
            try lab.send(tun: 0, ports: [80, 81], count: 3, payload: "EARLY")
            try await eventually("the ring to hold the packets") { first.sink.status.packetsHeld.load(ordering: .relaxed) >= 6 ? true : nil }
            let collected = CollectingSink()
            let capture = LookBackCapture(plan: lab.plan(0, bpf: "udp"), recorder: first.session)
            first.sink.attach(try LookBackConsumer(capture: capture, since: 1, sink: collected, budget: nil,
                                                   linkType: try #require(first.session.linkType)))
            defer { capture.stop() }
            try await eventually("the look-back to join") { capture.state == .running ? true : nil }

            let taken = first.session.filtersTaken
            recorder.bpf = "udp port 80"
            await recorders.apply([recorder])
            #expect(await recorders.recording(lab.source(0), by: "rec")?.sink === first.sink, "the ring stays")
            #expect(capture.state == .running, "the look-back stays attached")
            // The new expression applies from the capture's next wake-up (within its poll interval), which gives it to
            // libpcap: packets sent after that meet it.
            try await eventually("the capture to take the new expression") { first.session.filtersTaken > taken ? true : nil }
            try lab.send(tun: 0, ports: [80, 81], count: 3, payload: "LATER")
            let payloads = try await eventually("the later port-80 packets") { () -> [Delivered]? in
                let packets = collected.packets.compactMap { packet in
                    RawIP.udpDestinationPort(packet).flatMap { port in RawIP.udpPayload(packet).map { Delivered(port: port, payload: $0) } }
                }
                return packets.filter { $0.payload == "LATER" }.count >= 3 ? packets : nil
            }
            #expect(payloads.filter { $0.payload == "EARLY" }.count == 6, "the packets held before, both ports")
            #expect(payloads.filter { $0.payload == "LATER" }.map(\.port) == [80, 80, 80], "after it, only what the new expression takes")
        }
    }

    private struct Delivered: Sendable {
        let port: UInt16
        let payload: String
    }

    @Test("More sources than the byte limit allows: those recording keep their rings, the ones beyond are refused")
    func sourcesBeyondTheLimitAreRefused() async throws {
        let lab = try await TunLab(tuns: 2)
        defer { lab.tearDown() }
        try await withRecorders { recorders in
            var recorder = lab.recorder("rec", sources: [0])
            recorder.maxBytes = UInt64(HostRecorders.minimumRingBytes) + 1000
            await recorders.apply([recorder])
            let first = try #require(await recorders.recording(lab.source(0), by: "rec"))
            recorder.sources = [lab.desiredSource(1), lab.desiredSource(0)]
            await recorders.apply([recorder])
            #expect(await recorders.recording(lab.source(0), by: "rec")?.sink === first.sink)
            #expect(await recorders.recording(lab.source(1), by: "rec") == nil)
            let status = try #require(await recorders.statuses().first)
            #expect(status.sources == 1)
            #expect(status.failures.count == 1 && status.failures[0].contains("tun1"))
        }
    }

    @Test("A look-back is served by the recorder named for its source, not by another recording the same interface")
    func theNamedRecorderServes() async throws {
        let lab = try await TunLab(tuns: 1)
        defer { lab.tearDown() }
        try await withRecorders { recorders in
            var narrow = lab.recorder("alpha", sources: [0])
            narrow.bpf = "udp port 80"
            await recorders.apply([narrow, lab.recorder("beta", sources: [0])])
            let alpha = try #require(await recorders.recording(lab.source(0), by: "alpha"))
            let beta = try #require(await recorders.recording(lab.source(0), by: "beta"))
            #expect(alpha.sink !== beta.sink)
            #expect(await recorders.recording(lab.source(0), by: "gamma") == nil, "no other recorder stands in")

            try lab.send(tun: 0, ports: [80, 81], count: 3, payload: "HELD")
            try await eventually("both rings to hold them") {
                alpha.sink.status.packetsHeld.load(ordering: .relaxed) >= 3 && beta.sink.status.packetsHeld.load(ordering: .relaxed) >= 6 ? true : nil
            }
            let collected = CollectingSink()
            let capture = LookBackCapture(plan: lab.plan(0, bpf: "udp"), recorder: beta.session)
            beta.sink.attach(try LookBackConsumer(capture: capture, since: 1, sink: collected, budget: nil, linkType: try #require(beta.session.linkType)))
            defer { capture.stop() }
            let ports = try await eventually("the look-back's held packets") { () -> [UInt16]? in
                let ports = collected.packets.compactMap(RawIP.udpDestinationPort)
                return ports.count >= 6 ? ports : nil
            }
            #expect(ports.filter { $0 == 81 }.count == 3, "beta's ring (everything), not alpha's (port 80 only)")
        }
    }

    /// Runs `body` with this host's recorders, and stops them all after it, whatever happened (their capture threads
    /// leave the test's namespace before it is deleted).
    private func withRecorders(_ body: (HostRecorders) async throws -> Void) async throws {
        let recorders = HostRecorders(logger: Self.logger)
        do {
            try await body(recorders)
        } catch {
            await recorders.stopAll()
            throw error
        }
        await recorders.stopAll()
    }

    @Test("A ring resized keeps the newest packets that fit, in order, and counts the others evicted")
    func ringResize() {
        var ring = PacketRing(capacity: 2048)
        let packet = [UInt8](repeating: 7, count: 100)
        for time in 1...30 { packet.withUnsafeBytes { ring.append($0, originalLength: 100, timestampNanoseconds: UInt64(time)) } }
        // Records of 120 bytes, 17 in 2048: the ring has wrapped, the oldest pushed out.
        let before = ring.packets
        var times: [UInt64] = []
        ring.resize(to: 1000)
        ring.forEach(since: 0) { bytes, original, time in
            #expect(bytes.count == 100 && original == 100 && bytes.allSatisfy { $0 == 7 })
            times.append(time)
        }
        #expect(ring.capacity == 1000)
        #expect(times == Array(23...30).map(UInt64.init), "the newest 8 (of 120 bytes) fit in 1000")
        #expect(ring.captured == 30 && ring.captured == UInt64(ring.packets) + ring.evicted + ring.expired)
        #expect(before > ring.packets)
        ring.resize(to: 8192)
        for time in 31...40 { packet.withUnsafeBytes { ring.append($0, originalLength: 100, timestampNanoseconds: UInt64(time)) } }
        times = []
        ring.forEach(since: 0) { _, _, time in times.append(time) }
        #expect(times == Array(23...40).map(UInt64.init))
    }
}

/// A network namespace of its own with `tuns` tun devices (`tun0`…, 10.77.N.1/24, a process attached to each so
/// the kernel sends through it), for recorders on a non-Ethernet source. Removed by ``tearDown()``.
private final class TunLab: @unchecked Sendable {
    let namespace: String
    let directory: ScratchDirectory
    private var holders: [BackgroundProcess] = []

    static let holderScript = """
        import fcntl, os, struct, sys
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
        print("attached", flush=True)
        while True:
            os.read(fd, 65536)
        """

    static let senderScript = """
        import socket, sys
        host, ports, count, payload = sys.argv[1], [int(p) for p in sys.argv[2].split(",")], int(sys.argv[3]), sys.argv[4].encode()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(count):
            for port in ports:
                s.sendto(payload, (host, port))
        """

    init(tuns: Int) async throws {
        namespace = "\(TestNamePrefix.next())-tun"
        directory = try ScratchDirectory(label: namespace)
        do {
            try ProcessRunner.run(["ip", "netns", "add", namespace])
            try run(["ip", "link", "set", "lo", "up"])
            for index in 0..<tuns {
                try run(["ip", "tuntap", "add", "tun\(index)", "mode", "tun"])
                try run(["ip", "addr", "add", "10.77.\(index).1/24", "dev", "tun\(index)"])
                try run(["ip", "link", "set", "tun\(index)", "up"])
                let holder = try BackgroundProcess(name: "tun-holder-\(index)",
                                                   ["ip", "netns", "exec", namespace, TCPTraffic.python, "-c", Self.holderScript, "tun\(index)"],
                                                   directory: directory)
                holders.append(holder)
                // Python's start under a loaded suite can take seconds (a fixed 3 s wait was the limit before).
                do {
                    try await holder.waitForOutput("attached", timeout: .seconds(60))
                } catch {
                    throw TunHolderFailed(stderr: holder.stderr)
                }
            }
        } catch {
            tearDown()
            throw error
        }
    }

    private func run(_ arguments: [String]) throws {
        try ProcessRunner.run(["ip", "netns", "exec", namespace] + arguments)
    }

    func source(_ index: Int) -> CaptureSource {
        CaptureSource(workload: "w\(index)", namespace: .named(namespace), interface: "tun\(index)")
    }

    func desiredSource(_ index: Int) -> DesiredTapSource {
        DesiredTapSource(workload: "w\(index)", netns: namespace, interface: "tun\(index)")
    }

    func recorder(_ name: String, sources: [Int]) -> DesiredRecorder {
        DesiredRecorder(name: name, sources: sources.map(desiredSource), bpf: "", windowNanoseconds: 60_000_000_000, maxBytes: 1 << 20)
    }

    func plan(_ index: Int, bpf: String) -> CapturePlan {
        CapturePlan(tapID: "look-back", source: source(index), bpf: bpf, deadline: Date().addingTimeInterval(120))
    }

    /// Sends `count` rounds of one datagram to each of `ports` out of `tun` (to 10.77.N.2), carrying `payload`.
    func send(tun index: Int, ports: [Int], count: Int, payload: String) throws {
        try run([TCPTraffic.python, "-c", Self.senderScript, "10.77.\(index).2", ports.map(String.init).joined(separator: ","), String(count), payload])
    }

    func tearDown() {
        for holder in holders { holder.killNow() }
        holders = []
        _ = try? ProcessRunner.run(["ip", "netns", "del", namespace], allowFailure: true)
        directory.remove()
    }
}

private struct TunHolderFailed: Error { let stderr: String }

/// A sink that keeps a copy of every packet it is given.
private final class CollectingSink: PacketSink, @unchecked Sendable {
    private let kept = Mutex<[Data]>([])
    var packets: [Data] { kept.withLock { $0 } }
    func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        let copy = Data(bytes)
        kept.withLock { $0.append(copy) }
    }
    func flush() -> Int { 0 }
    func close() {}
}

/// Reading raw IP packets (no link-layer header).
private enum RawIP {
    static func version(_ packet: Data) -> UInt8? { packet.first.map { $0 >> 4 } }

    /// An IPv4 UDP packet's header length, or nil for anything else.
    private static func udpOffset(_ packet: Data) -> Int? {
        let bytes = [UInt8](packet)
        guard bytes.count >= 20, bytes[0] >> 4 == 4, bytes[9] == 17 else { return nil }
        let offset = Int(bytes[0] & 0x0f) * 4
        return bytes.count >= offset + 8 ? offset : nil
    }

    static func udpDestinationPort(_ packet: Data) -> UInt16? {
        guard let offset = udpOffset(packet) else { return nil }
        let bytes = [UInt8](packet)
        return UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
    }

    static func udpPayload(_ packet: Data) -> String? {
        guard let offset = udpOffset(packet) else { return nil }
        return String(decoding: [UInt8](packet).dropFirst(offset + 8), as: UTF8.self)
    }
}
