import Synchronization
import Foundation
import Logging
import TapsterCore
import TapsterWire

/// The flight recorders on this host: for each, one capture per source (a dedicated thread, like every
/// capture) into a ``RecorderSink`` whose ring has an equal share of the recorder's byte limit. Used by the
/// ``Reconciler`` only (inside its isolation).
actor HostRecorders {
    /// One recorder as it runs here.
    private struct Running {
        var desired: DesiredRecorder
        var sources: [CaptureSource: (session: CaptureSession, sink: RecorderSink)] = [:]
        var failures: [String] = []
    }

    private var running: [String: Running] = [:]
    private let logger: Logger

    /// The smallest ring a source gets: a few of the largest packets a capture may see.
    static let minimumRingBytes = 256 << 10
    /// The snap length recorded: whole Ethernet frames, and segmentation-offloaded ones up to 64 KiB.
    static let snaplen = 65_535

    init(logger: Logger) {
        self.logger = logger
    }

    /// Runs exactly `desired`: starts what is new, stops what is gone, restarts what changed.
    func apply(_ desired: [DesiredRecorder]) async {
        let wanted = Dictionary(desired.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, recorder) in running where wanted[name] != recorder.desired {
            stop(recorder)
            running[name] = nil
            logger.info("recorder stopped", metadata: ["recorder": "\(name)"])
        }
        for (name, recorder) in wanted.sorted(by: { $0.key < $1.key }) where running[name] == nil {
            running[name] = await start(recorder)
        }
    }

    /// Stops every recorder (the agent is shutting down).
    func stopAll() {
        for recorder in running.values { stop(recorder) }
        running = [:]
    }

    private func stop(_ recorder: Running) {
        for source in recorder.sources.values { source.session.stop() }
    }

    private func start(_ desired: DesiredRecorder) async -> Running {
        var recorder = Running(desired: desired)
        let share = desired.sources.isEmpty ? 0 : Int(clamping: desired.maxBytes / UInt64(desired.sources.count))
        for source in desired.sources {
            let capture = CaptureSource(workload: source.workload, namespace: NetworkNamespace(netns: source.netns), interface: source.interface)
            guard share >= Self.minimumRingBytes else {
                recorder.failures.append("\(capture.workload)/\(capture.interface): \(desired.maxBytes) bytes over \(desired.sources.count) sources "
                                         + "leaves less than \(Self.minimumRingBytes) bytes each")
                continue
            }
            let plan = CapturePlan(tapID: "recorder/\(desired.name)", source: capture, bpf: desired.bpf, snaplen: Self.snaplen,
                                   deadline: .distantFuture)
            let sink = RecorderSink(capacity: share, windowNanoseconds: desired.windowNanoseconds)
            let session = CaptureSession(plan: plan, sink: sink, logger: logger)
            do {
                try await session.start()
                recorder.sources[capture] = (session, sink)
            } catch {
                recorder.failures.append("\(capture.workload)/\(capture.interface): \(error)")
            }
        }
        logger.info("recorder started", metadata: [
            "recorder": "\(desired.name)", "sources": "\(recorder.sources.count)", "failed": "\(recorder.failures.count)",
            "window_ns": "\(desired.windowNanoseconds)", "max_bytes": "\(desired.maxBytes)",
        ])
        for failure in recorder.failures { logger.warning("recorder source failed", metadata: ["recorder": "\(desired.name)", "reason": "\(failure)"]) }
        return recorder
    }

    /// The running recorder capture of `source` (any recorder's), for a capture that looks back.
    func recording(_ source: CaptureSource) -> (session: CaptureSession, sink: RecorderSink)? {
        for name in running.keys.sorted() {
            if let found = running[name]?.sources[source], !found.session.state.hasEnded { return found }
        }
        return nil
    }

    /// Every recorder's figures on this host (and a kernel-drop sample for the look-backs).
    func statuses() -> [Tapster_Agent_V1_RecorderStatus] {
        let now = WallClock.nanoseconds()
        return running.keys.sorted().compactMap { name in
            guard let recorder = running[name] else { return nil }
            var status = Tapster_Agent_V1_RecorderStatus()
            status.name = name
            var failures = recorder.failures
            var oldest: UInt64 = 0
            for (source, running) in recorder.sources.sorted(by: { $0.key.description < $1.key.description }) {
                let ring = running.sink.status
                let drops = running.session.counters.kernelDrops
                running.sink.sampleDrops(drops, at: now)
                status.kernelDrops += drops
                status.bytesHeld += ring.bytesHeld.load(ordering: .relaxed)
                status.packetsHeld += ring.packetsHeld.load(ordering: .relaxed)
                status.bytesReserved += ring.reserved.load(ordering: .relaxed)
                status.captured += ring.captured.load(ordering: .relaxed)
                status.evicted += ring.evicted.load(ordering: .relaxed)
                status.expired += ring.expired.load(ordering: .relaxed)
                let first = ring.oldest.load(ordering: .relaxed)
                if first > 0, oldest == 0 || first < oldest { oldest = first }
                if case .failed(let error) = running.session.state { failures.append("\(source.workload)/\(source.interface): \(error)") }
            }
            status.oldestUnixNanos = oldest
            status.sources = UInt32(recorder.sources.count)
            status.failures = failures
            return status
        }
    }
}
