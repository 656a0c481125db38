import TapsterSystemTestSupport
import Foundation
import Logging
import PacketKit
@testable import TapsterAgent
import TapsterCore
import Testing

/// How a capture session begins, fails and ends: libpcap's own reasons for failures, a prompt stop,
/// the sink closed exactly once whatever happens, and an end anyone can wait for.
@Suite("Capture sessions start, fail and end cleanly", .serialized)
struct CaptureLifecycleTests {
    @Test("A missing interface fails the start with libpcap's reason, worded as tcpdump words it")
    func missingInterfaceFails() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let sink = RecordingSink()
        let session = CaptureSession(plan: lab.plan(interface: "nosuch0"), sink: sink)

        let error = try await #require(throws: CaptureError.self) { try await session.start() }
        let tcpdump = try lab.topology.run(in: lab.web.namespace, ["tcpdump", "-i", "nosuch0", "-c", "1"], allowFailure: true)
        let words = tcpdump.stderr.split(separator: "\n").joined(separator: " ").replacingOccurrences(of: "tcpdump: ", with: "")
        #expect(error.stage == .activate)
        #expect(error.reason == words)
        #expect(session.state == .failed(error))
        #expect(try await session.ended() == .failed(error))
        #expect(sink.closed)
    }

    @Test("A missing namespace fails the start with the system's reason")
    func missingNamespaceFails() async throws {
        let name = "\(TestNamePrefix.next())-gone"
        let plan = CapturePlan(tapID: "t", source: CaptureSource(workload: "gone", namespace: .named(name), interface: "eth0"),
                               deadline: Date().addingTimeInterval(60))
        let session = CaptureSession(plan: plan, sink: RecordingSink())

        let error = try await #require(throws: CaptureError.self) { try await session.start() }
        #expect(error.stage == .namespace)
        #expect(error.reason == "cannot open network namespace /var/run/netns/\(name): No such file or directory")
        #expect(error.description == "cannot capture on gone/eth0 (netns \(name)) (namespace): \(error.reason)")
    }

    @Test("An invalid BPF expression fails the start with libpcap's compiler message")
    func invalidFilterFails() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let session = CaptureSession(plan: lab.plan(bpf: "tcp port"), sink: RecordingSink())

        let error = try await #require(throws: CaptureError.self) { try await session.start() }
        let compiler = try #require(throws: BPFCompileError.self) { try BPFProgram.compile("tcp port") }
        #expect(error.stage == .filter)
        #expect(error.reason == compiler.message)
    }

    @Test("stop() ends a running capture, closes its sink, and reports stopped(requested)")
    func stopEndsTheCapture() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let sink = RecordingSink()
        let session = CaptureSession(plan: lab.plan(), sink: sink)
        try await session.start()
        #expect(session.state == .running)
        #expect(session.linkType == .ethernet)

        session.stop()
        let final = try await session.ended()
        #expect(final == .stopped(.requested))
        #expect(sink.closed)
    }

    @Test("Counters grow while the capture runs, read without stopping it")
    func countersAreLive() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let sink = RecordingSink()
        let session = CaptureSession(plan: lab.plan(), sink: sink)
        try await session.start()
        defer { session.stop() }
        try await lab.send(chunks: 5, size: 100)

        let counters = try await eventually("the counters to show the connection") { () -> CaptureCounters? in
            let counters = session.counters
            return counters.packets >= 13 ? counters : nil
        }
        #expect(session.state == .running)
        #expect(counters.bytes >= counters.packets * 66)
        #expect(counters.forwarded == counters.packets)
        #expect(sink.accepted >= 13)
    }

    @Test("Dropping a running session stops its capture and closes its sink")
    func droppingStops() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let sink = RecordingSink()
        let final = LockedValue<CaptureState?>(nil)
        do {
            let session = CaptureSession(plan: lab.plan(), sink: sink)
            session.onEnd { final.set($0) }
            try await session.start()
        }
        #expect(try await eventually(timeout: .seconds(30), "the capture to end") { final.value } == .stopped(.requested))
        #expect(sink.closed)
    }

    @Test("An interface removed during the capture ends it as failed, with the reason")
    func vanishedInterfaceFails() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let session = CaptureSession(plan: lab.plan(), sink: RecordingSink())
        try await session.start()
        defer { session.stop() }

        try lab.topology.run(in: lab.web.namespace, ["ip", "link", "del", lab.web.interface])
        let final = try await eventually(timeout: .seconds(30), "the session to end") { session.state.hasEnded ? session.state : nil }
        guard case .failed(let error) = final else {
            Issue.record("expected a failure, got \(final)")
            return
        }
        #expect(error.stage == .capture)
        #expect(error.reason == "The interface disappeared", "libpcap's words")
    }

    @Test("A deadline already past ends the session as stopped(deadline) without capturing")
    func pastDeadlineStopsAtOnce() async throws {
        let plan = CapturePlan(tapID: "t", source: CaptureSource(workload: "host", namespace: .host, interface: "nosuch0"),
                               deadline: Date().addingTimeInterval(-1))
        let sink = RecordingSink()
        let session = CaptureSession(plan: plan, sink: sink)
        try await session.start()
        #expect(try await session.ended() == .stopped(.deadline))
        #expect(sink.closed)
    }

    @Test("A capture thread that cannot start fails the start with the system's reason and closes the sink once")
    func threadThatCannotStartClosesSinkOnce() async throws {
        let plan = CapturePlan(tapID: "t", source: CaptureSource(workload: "host", namespace: .host, interface: "lo"),
                               deadline: Date().addingTimeInterval(60))
        let sink = RecordingSink()
        // A stack smaller than PTHREAD_STACK_MIN: pthread_attr_setstacksize refuses it, so no thread starts.
        let session = CaptureSession(plan: plan, sink: sink, budget: nil, logger: Logger(label: "test"), threadStackSize: 1)

        let error = try await #require(throws: CaptureError.self) { try await session.start() }
        #expect(error.stage == .thread)
        #expect(error.reason == "cannot start the capture thread: Invalid argument")
        #expect(session.state == .failed(error))
        #expect(sink.closes == 1)
    }

    @Test("stop() before start() ends the session, closes the sink, and start() then does nothing")
    func stopBeforeStart() async throws {
        let plan = CapturePlan(tapID: "t", source: CaptureSource(workload: "host", namespace: .host, interface: "nosuch0"),
                               deadline: Date().addingTimeInterval(60))
        let sink = RecordingSink()
        let session = CaptureSession(plan: plan, sink: sink)
        session.stop()
        #expect(session.state == .stopped(.requested))
        #expect(sink.closed)
        try await session.start()
        #expect(session.state == .stopped(.requested))
    }

    @Test("Waiting for the end is cancellable and leaves the capture alone")
    func waitingIsCancellable() async throws {
        let plan = CapturePlan(tapID: "t", source: CaptureSource(workload: "host", namespace: .host, interface: "nosuch0"),
                               deadline: Date().addingTimeInterval(60))
        let session = CaptureSession(plan: plan, sink: RecordingSink())
        let waiter = Task { try await session.ended() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(session.state == .starting)
    }
}
