import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import PacketKit
import TapsterCore
import TapsterWire

/// The flight recorders on this host: for each, one capture per source (a dedicated thread, like every
/// capture) into a ``RecorderSink`` whose ring has an equal share of the recorder's byte limit. Used by the
/// ``Reconciler`` only (inside its isolation).
///
/// Reconciled per source: a source whose own assignment (its interface, the recorder's window) is unchanged
/// keeps its capture, its ring and the look-backs it serves, whatever happens to the recorder's other sources — a
/// workload appearing or leaving on the host — and a new expression (a peer's address changed elsewhere) is
/// taken in place by its running capture (``CaptureSession/replaceFilter(_:)``). Only the sources added, removed or
/// changed start or stop. When the number of sources changes, so does each ring's share
/// of the byte limit: a kept ring is resized in place by its own thread (``RecorderSink/resize(to:)``: the newest
/// packets that fit stay, the oldest are pushed out as evicted), the shrinking ones before any new ring is made.
actor HostRecorders {
    /// One recorder source as it runs here.
    struct Source {
        let session: CaptureSession
        let sink: RecorderSink
    }

    /// One recorder as it runs here.
    private struct Running {
        var desired: DesiredRecorder
        var sources: [CaptureSource: Source] = [:]
        /// Why each source that does not record could not (the order of the desired sources).
        var failures: [CaptureSource: String] = [:]
    }

    private var running: [String: Running] = [:]
    private let logger: Logger

    /// The smallest ring a source gets: a few of the largest packets a capture may see.
    static let minimumRingBytes = 256 << 10
    /// The snap length recorded: whole Ethernet frames, and segmentation-offloaded ones up to 64 KiB.
    static let snaplen = 65_535
    /// How long a reconciliation waits for kept rings to shrink (on their threads, at their next round: within
    /// the idle flush's second) before it makes new ones.
    static let shrinkWait: Duration = .seconds(3)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Runs exactly `desired`: starts what is new, stops what is gone, and reconciles the sources of what changed.
    func apply(_ desired: [DesiredRecorder]) async {
        let wanted = Dictionary(desired.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, recorder) in running where wanted[name] == nil {
            stop(recorder)
            running[name] = nil
            logger.info("recorder stopped", metadata: ["recorder": "\(name)"])
        }
        for (name, recorder) in wanted.sorted(by: { $0.key < $1.key }) where running[name]?.desired != recorder {
            running[name] = await reconcile(running[name], to: recorder)
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

    /// How many of `count` sources get a ring (each at least ``minimumRingBytes``), and each one's bytes.
    static func shares(of maxBytes: UInt64, over count: Int) -> (rings: Int, bytes: Int) {
        guard count > 0 else { return (0, 0) }
        let rings = min(count, Int(clamping: maxBytes / UInt64(minimumRingBytes)))
        return rings == 0 ? (0, 0) : (rings, Int(clamping: maxBytes / UInt64(rings)))
    }

    /// `current` (nil: none yet) brought to `desired`: its sources whose assignment is unchanged kept (their rings
    /// resized to the new share), the others stopped, and the new ones started while the byte limit allows.
    private func reconcile(_ current: Running?, to desired: DesiredRecorder) async -> Running {
        var recorder = Running(desired: desired)
        let wanted = desired.sources.map(CaptureSource.init)
        let wantedSet = Set(wanted)
        let sameWindow = current.map { $0.desired.windowNanoseconds == desired.windowNanoseconds } ?? false
        let newExpression = current.map { $0.desired.bpf != desired.bpf } ?? false
        // Kept: still wanted, same window, still capturing, and taking the new expression in place if it changed
        // (a peer's address: the ring's packets stay; a look-back filters them with its own expression anyway).
        // Everything else of `current` stops.
        var kept: [CaptureSource: Source] = [:]
        for (source, running) in current?.sources ?? [:] {
            if sameWindow, wantedSet.contains(source), !running.session.state.hasEnded,
               !newExpression || Self.refilter(running.session, with: desired.bpf) {
                kept[source] = running
            } else {
                running.session.stop()
            }
        }
        // The kept sources come first for the rings the limit allows (a source recording is not pushed out by
        // one that appears), then the others in the desired order.
        let (rings, share) = Self.shares(of: desired.maxBytes, over: wanted.count)
        let ordered = wanted.filter { kept[$0] != nil } + wanted.filter { kept[$0] == nil }
        var shrinking: [RecorderSink] = []
        for (position, source) in ordered.enumerated() {
            guard let running = kept[source] else { continue }
            if position >= rings {
                running.session.stop()
                kept[source] = nil
                continue
            }
            if running.sink.resize(to: share) { shrinking.append(running.sink) }
            recorder.sources[source] = running
        }
        await waitForShrinking(shrinking)
        for (position, source) in ordered.enumerated() where recorder.sources[source] == nil {
            guard position < rings else {
                recorder.failures[source] = "\(source.workload)/\(source.interface): \(desired.maxBytes) bytes over \(wanted.count) sources "
                    + "leaves less than \(Self.minimumRingBytes) bytes each"
                continue
            }
            let plan = CapturePlan(tapID: "recorder/\(desired.name)", source: source, bpf: desired.bpf, snaplen: Self.snaplen,
                                   deadline: .distantFuture)
            let sink = RecorderSink(capacity: share, windowNanoseconds: desired.windowNanoseconds)
            let session = CaptureSession(plan: plan, sink: sink, logger: logger)
            do {
                try await session.start()
                recorder.sources[source] = Source(session: session, sink: sink)
            } catch {
                recorder.failures[source] = "\(source.workload)/\(source.interface): \(error)"
            }
        }
        let stopped = (current?.sources.count ?? 0) - kept.count
        logger.info(current == nil ? "recorder started" : "recorder sources changed", metadata: [
            "recorder": "\(desired.name)", "sources": "\(recorder.sources.count)", "kept": "\(kept.count)", "stopped": "\(stopped)",
            "failed": "\(recorder.failures.count)", "window_ns": "\(desired.windowNanoseconds)", "max_bytes": "\(desired.maxBytes)",
        ])
        for failure in recorder.failures.values.sorted() {
            logger.warning("recorder source failed", metadata: ["recorder": "\(desired.name)", "reason": "\(failure)"])
        }
        return recorder
    }

    /// Has `session` capture with `expression` from its next wake-up on; false (the source must start over) when the
    /// expression names hosts or networks (resolved only on a capture's own thread, never here) or does not compile
    /// for the session's link type.
    private static func refilter(_ session: CaptureSession, with expression: String) -> Bool {
        guard BPFNames.find(in: expression).isEmpty, let linkType = session.linkType,
              let program = try? BPFProgram.compile(expression, linkType: linkType, snaplen: Int32(snaplen)) else { return false }
        session.replaceFilter(program)
        return true
    }

    /// Waits (a bounded time) until each of `sinks` has resized its ring on its thread.
    private func waitForShrinking(_ sinks: [RecorderSink]) async {
        guard !sinks.isEmpty else { return }
        let clock = ContinuousClock()
        let until = clock.now.advanced(by: Self.shrinkWait)
        while sinks.contains(where: { $0.resizePending }), clock.now < until {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The capture of `source` by the recorder `name`, while it records, for a capture that looks back: exactly
    /// the recorder the server chose for the source (``DesiredTapSource/lookBackRecorder``), never another.
    func recording(_ source: CaptureSource, by name: String) -> Source? {
        guard let found = running[name]?.sources[source], !found.session.state.hasEnded else { return nil }
        return found
    }

    /// Every recorder's figures on this host (and a kernel-drop sample for the look-backs).
    func statuses() -> [Tapster_Agent_V1_RecorderStatus] {
        let now = WallClock.nanoseconds()
        return running.keys.sorted().compactMap { name in
            guard let recorder = running[name] else { return nil }
            var status = Tapster_Agent_V1_RecorderStatus()
            status.name = name
            var failures = recorder.desired.sources.compactMap { source in
                recorder.failures[CaptureSource(source)]
            }
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
