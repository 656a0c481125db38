import TapsterSystemTestSupport
import Foundation
import Testing
@testable import TapsterAgent

/// Frames delivered into a monitoring port — an interface in another namespace — as tcpdump inside that
/// namespace sees them.
@Suite("Port injection sink")
struct PortInjectionSinkTests {
    /// A `monitor` namespace and its port, with tcpdump counting the test frames there; all removed afterwards.
    static func withMonitorPort(_ body: (NetnsTopology.Host, TcpdumpCounter) async throws -> Void) async throws {
        let topology = try NetnsTopology(roles: ["monitor"])
        defer { topology.remove() }
        let directory = try ScratchDirectory(label: topology.prefix)
        defer { directory.remove() }
        let port = topology["monitor"]
        let tcpdump = try await TcpdumpCounter(name: "port", namespace: port.namespace, interface: port.interface,
                                               filter: TestFrames.filter, directory: directory)
        try await body(port, tcpdump)
    }

    @Test("every accepted frame leaves through the port once, batches included, and tcpdump there counts them exactly")
    func injectsIntoPort() async throws {
        try await Self.withMonitorPort { port, tcpdump in
            let sink = try await PortInjectionSink.open(namespace: .named(port.namespace), interface: port.interface, batchCapacity: 8)

            for index in 0..<25 {
                TestFrames.frame(index).withUnsafeBytes { sink.accept($0, originalLength: $0.count, timestampNanoseconds: 0) }
            }
            let failures = sink.flush()
            sink.close()

            #expect(failures == 0)
            #expect(sink.injectedPackets == 25)
            let lines = try await tcpdump.waitForFrames(25)
            #expect(tcpdump.stop() == 25)
            #expect(lines.map(TestFrames.index(ofLine:)) == Array(0..<25))
            #expect(lines.allSatisfy { $0.contains("> 02:00:00:00:88:b5, ethertype Unknown (0x88b5), length 64") })
        }
    }

    @Test("frames arrive at a bridged port as received and never enter the bridge: it learns and forwards nothing")
    func deliversAsReceivedBypassingTheBridge() async throws {
        let topology = try NetnsTopology(roles: ["web", "monitor"])
        defer { topology.remove() }
        let directory = try ScratchDirectory(label: topology.prefix)
        defer { directory.remove() }
        let (port, neighbour) = (topology["monitor"], topology["web"])
        let received = try await TcpdumpCounter(name: "port-in", namespace: port.namespace, interface: port.interface,
                                                filter: TestFrames.filter, direction: "in", directory: directory)
        let forwarded = try await TcpdumpCounter(name: "neighbour", namespace: neighbour.namespace, interface: neighbour.interface,
                                                 filter: TestFrames.filter, directory: directory)
        let sink = try await PortInjectionSink.open(namespace: .named(port.namespace), interface: port.interface)

        // Each frame has its own source MAC and an unknown destination: a bridge that saw them would learn
        // every source on the monitor's port and flood the frames to web.
        for index in 0..<10 {
            TestFrames.frame(index).withUnsafeBytes { sink.accept($0, originalLength: $0.count, timestampNanoseconds: 0) }
        }
        #expect(sink.flush() == 0)
        sink.close()

        let lines = try await received.waitForFrames(10)
        #expect(lines.map(TestFrames.index(ofLine:)) == Array(0..<10))
        #expect(try topology.learnedAddresses(onPortOf: "monitor").filter { $0.hasPrefix("02:00:00:00:") } == [])
        #expect(forwarded.stop() == 0)
        #expect(received.stop() == 10)
    }

    @Test("a port that is not a veth is refused: there is no other end to deliver from")
    func refusesNonVethPort() async throws {
        let topology = try NetnsTopology(roles: ["monitor"])
        defer { topology.remove() }
        let namespace = topology["monitor"].namespace
        try topology.run(in: namespace, ["ip", "link", "add", "br9", "type", "bridge"])

        let error = await #expect(throws: PortDeliveryError.self) {
            _ = try await PortInjectionSink.open(namespace: .named(namespace), interface: "br9")
        }
        #expect(error?.stage == .peer)
        #expect(error?.description.hasPrefix("cannot deliver to br9 in netns \(namespace) (finding the port's veth peer): "
            + "br9 is a bridge interface, not a veth") == true)
    }

    @Test("a frame longer than the sink's slots is not sent and is counted by the next flush")
    func oversizedFrame() async throws {
        try await Self.withMonitorPort { port, tcpdump in
            let sink = try await PortInjectionSink.open(namespace: .named(port.namespace), interface: port.interface, maxFrameLength: 100)

            TestFrames.frame(1, length: 101).withUnsafeBytes { sink.accept($0, originalLength: $0.count, timestampNanoseconds: 0) }
            TestFrames.frame(2, length: 100).withUnsafeBytes { sink.accept($0, originalLength: $0.count, timestampNanoseconds: 0) }

            #expect(sink.flush() == 1)
            #expect(sink.flush() == 0)
            sink.close()
            #expect(sink.injectedPackets == 1)
            #expect(sink.failedPackets == 1)
            try await tcpdump.waitForFrames(1)
            #expect(tcpdump.stop() == 1)
        }
    }

    @Test("a missing interface is refused, naming it and its namespace")
    func missingInterface() async throws {
        let topology = try NetnsTopology(roles: ["monitor"])
        defer { topology.remove() }
        let namespace = topology["monitor"].namespace

        await #expect(throws: PortDeliveryError(stage: .interface, subject: "nope0 in netns \(namespace)", reason: "No such device")) {
            _ = try await PortInjectionSink.open(namespace: .named(namespace), interface: "nope0")
        }
    }

    @Test("a missing namespace is refused with the namespace layer's reason")
    func missingNamespace() async throws {
        let error = await #expect(throws: PortDeliveryError.self) {
            _ = try await PortInjectionSink.open(namespace: .named("tt-no-such-namespace"), interface: "eth0")
        }
        #expect(error?.description
            == "cannot deliver to eth0 in netns tt-no-such-namespace (entering the namespace): cannot open network namespace /var/run/netns/tt-no-such-namespace: No such file or directory")
    }
}
