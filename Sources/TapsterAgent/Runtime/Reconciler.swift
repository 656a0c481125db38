#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import PacketKit
import TapsterCore
import TapsterWire

/// Brings the captures on this host in line with the server's desired set: starts what is new, stops what is
/// gone, restarts what changed, and leaves the rest alone — so applying the same set twice changes nothing.
/// A tap whose only change is its sources (a workload joined or left: a new replica, a rescheduled pod) keeps
/// its running captures and upload: the new sources start, the departed ones stop, and nothing on the others
/// is missed. Each capture enforces its tap's deadline by itself; the reconciler only reports it.
///
/// A tap's packets take one path on this host, chosen when it starts (``Datapath/choose(for:preference:)``):
/// mirrored in the kernel (``KernelMirror``) where the tap and the kernel allow it, otherwise captured by
/// libpcap (``CaptureSession``). The status says which, and why not the kernel's.
actor Reconciler {
    /// A tap this host is running: its assignment as received, a session per source that started, and the
    /// sources that could not.
    private struct RunningTap {
        var assignment: DesiredTap
        /// The session of each source of the assignment that started.
        var current: [CapturePlan: any SourceCapture] = [:]
        /// Sessions of sources the tap no longer has (ended): their counters still count.
        var retired: [any SourceCapture] = []
        /// The path the tap's packets take on this host.
        var datapath: Datapath
        /// For taps mirrored in the kernel: the tap's output and veths.
        var kernel: KernelMirror?
        /// For taps delivered into a port in the kernel: the frames its program refused on `tpb…` as last logged.
        var refusedFrames: UInt64 = 0
        /// Why each source of the assignment that did not start could not.
        var failures: [CapturePlan: String] = [:]
        /// The capture interface index of each source the tap has had (a source keeps its index, so one that
        /// failed and is tried again is not described again; a new source gets the next).
        var indexes: [CapturePlan: UInt32] = [:]
        /// The capture interface index the next new source gets (never reused within the tap).
        var nextIndex: UInt32 = 0

        /// The index of `plan`'s interface, and whether it is new (not described yet).
        mutating func index(of plan: CapturePlan) -> (index: UInt32, new: Bool) {
            if let index = indexes[plan] { return (index, false) }
            let index = nextIndex
            indexes[plan] = index
            nextIndex += 1
            return (index, true)
        }
        /// For `stream` taps: what sends the packets to the server.
        var uploader: CaptureUploader?
        /// For `flows` taps: where the sources' flow records wait for the next report.
        var flows: FlowExport?
        /// For `flows` taps: the export's loss counters as last drained (totals).
        var flowsDropped: UInt64 = 0
        var httpUnparsed: UInt64 = 0
        /// The tap's bandwidth cap on this host, one budget for all its sources (the cap does not change while
        /// the tap runs: a different cap makes a new tap, ``canResize(_:to:)``).
        let budget: BandwidthBudget?

        init(assignment: DesiredTap, datapath: Datapath) {
            self.assignment = assignment
            self.datapath = datapath
            self.budget = assignment.bandwidthCapBitsPerSecond.map(BandwidthBudget.init(bitsPerSecond:))
        }

        /// Every session, current and retired.
        var sessions: [any SourceCapture] { Array(current.values) + retired }
    }

    private let hostName: String
    private let logger: Logger
    private let sinks: SinkFactory
    private let connector: AgentConnector
    private let inventory: InventoryBoard
    private let datapathPreference: DatapathPreference
    /// Whether local monitor ports may be delivered in the kernel (`--kernel-port-delivery`).
    private let kernelPortDelivery: Bool
    /// This host's flight recorders, which also serve captures that look back.
    private let recorders: HostRecorders
    private var running: [String: RunningTap] = [:]
    /// Final statuses of taps that ended since the last report.
    private var finished: [Tapster_Agent_V1_TapStatus] = []
    /// Flow records drained from taps that ended, for the next flow report.
    private var finishedFlows: [FlowRecord] = []
    /// The revision of the last desired set applied (0 until the first).
    private(set) var appliedRevision: UInt64 = 0

    init(hostName: String, tunnelAddress: String?, connector: AgentConnector, inventory: InventoryBoard,
         datapath: DatapathPreference = .userspace, kernelPortDelivery: Bool = false, logger: Logger) {
        self.inventory = inventory
        self.datapathPreference = datapath
        self.kernelPortDelivery = kernelPortDelivery
        self.hostName = hostName
        self.logger = logger
        self.sinks = SinkFactory(hostName: hostName, tunnelAddress: tunnelAddress, logger: logger)
        self.connector = connector
        self.recorders = HostRecorders(logger: logger)
    }

    /// Applies a desired set (a complete snapshot).
    func apply(_ desired: DesiredTapSet) async {
        var wanted: [String: DesiredTap] = [:]
        for assignment in desired.taps where wanted[assignment.tapID] == nil { wanted[assignment.tapID] = assignment }
        for (id, tap) in running where wanted[id] != tap.assignment {
            if let next = wanted[id], Self.canResize(tap, to: next), await resize(id, to: next) { continue }
            let uploader = await end(id, reason: wanted[id] == nil ? "removed" : "changed")
            // Restarting: the old stream sends its last packets before the new one opens (the server would take
            // a second stream describing the same interfaces for the first one resuming).
            if wanted[id] != nil { await uploader?.finished(within: .seconds(5)) }
        }
        // Recorders before the taps that start: a capture that looks back is served by its source's recorder.
        await recorders.apply(desired.recorders)
        for (id, assignment) in wanted.sorted(by: { $0.key < $1.key }) where running[id] == nil {
            await start(assignment)
        }
        await sinks.receive(desired.receptions)
        appliedRevision = desired.revision
    }

    /// The status of every running tap, and the final status of those that ended since the last report.
    func statusReport() async -> Tapster_Agent_V1_StatusReport {
        var report = Tapster_Agent_V1_StatusReport()
        report.revision = appliedRevision
        report.recorders = await recorders.statuses()
        logRefusedFrames()
        report.taps = running.keys.sorted().compactMap { running[$0].map(status) } + finished
        finished = []
        return report
    }

    /// Warns of frames a port tap's program refused on `tpb…` since the last warning: in the kernel they can
    /// only have been written into the mirror's veth by a process in a tapped workload (``KernelMirror/refusedFrames``).
    /// The tap's status has no field for them yet: the agent's log is where they are reported.
    private func logRefusedFrames() {
        for id in running.keys.sorted() {
            guard var tap = running[id], let refused = tap.kernel?.refusedFrames, refused > tap.refusedFrames else { continue }
            logger.warning("frames written into a kernel port mirror's veth from a tapped workload were dropped (the tap's filter refused them)",
                           metadata: ["tap": "\(id)", "dropped": "\(refused - tap.refusedFrames)", "total": "\(refused)"])
            tap.refusedFrames = refused
            running[id] = tap
        }
    }

    /// The flow records of `flows` taps waiting since the last report (running taps' and those of taps that
    /// ended), in batches of at most ``flowsPerReport`` records; empty when there are none. A batch the
    /// channel could not send comes back through ``requeue(_:)``.
    func flowReports() -> [[FlowRecord]] {
        var records = finishedFlows
        finishedFlows = []
        for id in running.keys.sorted() {
            guard var tap = running[id], let flows = tap.flows else { continue }
            records += drain(flows, into: &tap)
            running[id] = tap
        }
        return stride(from: 0, to: records.count, by: Self.flowsPerReport).map { start in
            Array(records[start..<min(start + Self.flowsPerReport, records.count)])
        }
    }

    /// Flow records that were not sent (the channel broke): they go first in the next report, on the next channel.
    func requeue(_ records: [FlowRecord]) {
        finishedFlows = records + finishedFlows
    }

    /// Records per flow report: a report stays well under gRPC's 4 MiB message limit (a record with its
    /// HTTP exchanges is a few hundred bytes).
    static let flowsPerReport = 2000

    /// Takes `flows`' records and notes its loss counters on `tap`.
    private func drain(_ flows: FlowExport, into tap: inout RunningTap) -> [FlowRecord] {
        let batch = flows.drain()
        tap.flowsDropped = batch.flowsDropped
        tap.httpUnparsed = batch.httpUnparsed
        return batch.records
    }

    /// Stops every capture (the agent is shutting down).
    func stopAll() async {
        for id in running.keys { await end(id, reason: "agent shutting down") }
        await recorders.stopAll()
        await sinks.stopReceiving()
    }

    private func start(_ assignment: DesiredTap) async {
        var tap = RunningTap(assignment: assignment, datapath: Datapath.choose(for: assignment, preference: datapathPreference,
                                                                                portDelivery: kernelPortDelivery))
        if case .kernel(let output) = tap.datapath, assignment.deadline > Date() {
            do {
                tap.kernel = try await KernelMirror(owner: KernelMirrorOwner(agent: hostName), tapID: assignment.tapID, output: output,
                                              deadline: assignment.deadline,
                                              bandwidthCap: assignment.bandwidthCapBitsPerSecond)
            } catch {
                tap.datapath = .userspace(reason: "the kernel could not mirror: \(error)")
            }
        }
        if case .flows = assignment.destination { tap.flows = FlowExport(tapID: assignment.tapID) }
        var upload: CaptureUpload?
        if case .serverStream(let captureID, let replicaAddress) = assignment.destination {
            upload = CaptureUpload(captureID: captureID, tapID: assignment.tapID, replicaAddress: replicaAddress,
                                   interfaces: sinks.captureInterfaces(for: assignment))
        }
        var indexed: [(index: UInt32, session: any StreamedCapture)] = []
        if assignment.deadline > Date() {
            for plan in assignment.capturePlans {
                let index = tap.index(of: plan).index
                if let session = await startSession(plan, index: index, of: &tap, upload: upload) as? any StreamedCapture {
                    indexed.append((index, session))
                }
            }
        } else {
            for plan in assignment.capturePlans { _ = tap.index(of: plan) }
        }
        if let upload {
            // Described before the captures opened their interfaces: each with the framing its capture has (a
            // look-back's is its recorder's), before the uploader sends the descriptions.
            for (index, session) in indexed {
                if let linkType = session.linkType { upload.setLinkType(SinkFactory.describedLinkType(linkType), ofInterface: index) }
            }
            let uploader = CaptureUploader(upload: upload, connector: connector, logger: logger)
            uploader.start(sessions: indexed)
            tap.uploader = uploader
        }
        running[assignment.tapID] = tap
        logger.info("tap applied", metadata: [
            "tap": "\(assignment.tapID)", "captures": "\(tap.current.count)", "failed": "\(tap.failures.count)",
            "deadline": "\(assignment.deadline)", "datapath": "\(tap.datapath.name)", "why": "\(tap.datapath.reason ?? "")",
        ])
        for failure in tap.failures.values { logger.warning("capture failed", metadata: ["tap": "\(assignment.tapID)", "reason": "\(failure)"]) }
    }

    /// Whether `tap` can become `next` by starting and stopping sources: only the sources differ
    /// (``DesiredTap/differsOnlyInSources(from:)``), some remain, and a capture still runs (so a stream's upload is
    /// still open to describe the new interfaces).
    private static func canResize(_ tap: RunningTap, to next: DesiredTap) -> Bool {
        tap.assignment.differsOnlyInSources(from: next) && !next.sources.isEmpty && next.deadline > Date()
            && tap.current.values.contains { !$0.state.hasEnded }
    }

    /// Starts the sources `next` adds and then stops those it no longer has (in that order, so a stream's
    /// upload never sees every capture ended in between), keeping every other capture running. False (and
    /// nothing changed) when the tap's upload has already decided to finish: the tap must start over.
    private func resize(_ id: String, to next: DesiredTap) async -> Bool {
        guard var tap = running[id] else { return false }
        if let uploader = tap.uploader, !uploader.beginJoin() { return false }
        defer { tap.uploader?.endJoin() }
        let plans = next.capturePlans
        let wanted = Set(plans)
        tap.assignment = next
        tap.failures = tap.failures.filter { wanted.contains($0.key) }
        var joined = 0
        for plan in plans where tap.current[plan] == nil {
            tap.failures[plan] = nil
            let (index, new) = tap.index(of: plan)
            // The description goes first: the upload sends it before any chunk of the new source.
            if new {
                // A look-back's framing is known before it starts (its recorder's); a live capture's is taken as Ethernet.
                let linkType = await lookBackRecording(plan, of: tap)?.session.linkType ?? .ethernet
                tap.uploader?.upload.describe(sinks.captureInterface(for: plan, index: index, linkType: linkType))
            }
            if let session = await startSession(plan, index: index, of: &tap, upload: tap.uploader?.upload) {
                if let session = session as? any StreamedCapture { tap.uploader?.add(session, index: index) }
                joined += 1
            }
        }
        let leaving = tap.current.filter { !wanted.contains($0.key) }
        for (_, session) in leaving { session.stop() }
        for (plan, session) in leaving {
            _ = try? await session.ended()
            tap.current[plan] = nil
            tap.retired.append(session)
        }
        // A namespace the tap no longer reaches gives back its in-kernel leg (its pod may be gone), as does one made for a
        // source that then failed to start.
        tap.kernel?.releaseUnusedLegs()
        running[id] = tap
        logger.info("tap sources changed", metadata: [
            "tap": "\(id)", "joined": "\(joined)", "left": "\(leaving.count)", "captures": "\(tap.current.count)",
            "failed": "\(tap.failures.count)",
        ])
        return true
    }

    /// Starts the capture of `plan` as the tap's interface `index` on the tap's path; records why when it
    /// cannot start. When the kernel turns out to lack a piece before any source of the tap is mirrored, the
    /// tap moves to the userspace path.
    private func startSession(_ plan: CapturePlan, index: UInt32, of tap: inout RunningTap, upload: CaptureUpload?) async -> (any SourceCapture)? {
        if let kernel = tap.kernel {
            do {
                let source = try await kernel.add(plan)
                tap.current[plan] = source
                return source
            } catch where error.needsUserspace && tap.sessions.isEmpty {
                kernel.close()
                tap.kernel = nil
                tap.datapath = .userspace(reason: "the kernel could not mirror: \(error)")
            } catch {
                tap.failures[plan] = "\(plan.source.workload)/\(plan.source.interface): \(error)"
                return nil
            }
        }
        if let since = lookBackStart(of: plan, in: tap), case .serverStream = tap.assignment.destination {
            if let lookBack = await startLookBack(plan, since: since, index: index, of: &tap, upload: upload) { return lookBack.capture }
        }
        do {
            let mac = await inventory.mac(workload: plan.source.workload, interface: plan.source.interface)
            let sink = try await sinks.makeSink(for: tap.assignment.destination, plan: plan, localMAC: mac, upload: upload, index: Int(index),
                                                flows: tap.flows)
            let session = CaptureSession(plan: plan, sink: sink, budget: tap.budget, logger: logger)
            try await session.start()
            tap.current[plan] = session
            return session
        } catch {
            tap.failures[plan] = "\(plan.source.workload)/\(plan.source.interface): \(error)"
            return nil
        }
    }

    /// Serves `plan` from its source's recorder: the ring's packets since `since`, then live. Nil when no recorder
    /// records the source here (the capture then runs live only, and says so in the log); a failure is recorded
    /// (and the capture is nil).
    private func startLookBack(_ plan: CapturePlan, since: UInt64, index: UInt32, of tap: inout RunningTap,
                               upload: CaptureUpload?) async -> (capture: (any SourceCapture)?, Void)? {
        guard let recording = await lookBackRecording(plan, of: tap) else {
            logger.warning("the recorder the server chose does not record this source here: the capture starts live", metadata: [
                "tap": "\(plan.tapID)", "source": "\(plan.source)", "recorder": "\(lookBackRecorder(of: plan, in: tap) ?? "none")",
            ])
            return nil
        }
        do {
            let sink = try await sinks.makeSink(for: tap.assignment.destination, plan: plan, localMAC: nil, upload: upload, index: Int(index))
            let capture = LookBackCapture(plan: plan, recorder: recording.session)
            let consumer = try LookBackConsumer(capture: capture, since: since, sink: sink, budget: tap.budget,
                                                linkType: recording.session.linkType ?? .ethernet)
            recording.sink.attach(consumer)
            tap.current[plan] = capture
            return (capture, ())
        } catch {
            tap.failures[plan] = "\(plan.source.workload)/\(plan.source.interface): \(error)"
            return (nil, ())
        }
    }

    /// `plan`'s source as `tap`'s assignment names it.
    private func assignedSource(of plan: CapturePlan, in tap: RunningTap) -> DesiredTapSource? {
        tap.assignment.sources.first { CaptureSource($0) == plan.source }
    }

    /// The recorder the server named for `plan`'s source in `tap`'s assignment (nil: none covers it).
    private func lookBackRecorder(of plan: CapturePlan, in tap: RunningTap) -> String? {
        assignedSource(of: plan, in: tap)?.lookBackRecorder
    }

    /// Where the look-back of `plan`'s source starts in `tap` (ns since the epoch): the source's own start, which
    /// the server sets later than the tap's for a workload that joined the capture's tenant since
    /// (``DesiredTapSource/lookBackStart(in:)``); nil when the tap does not look back or the source names no recorder.
    private func lookBackStart(of plan: CapturePlan, in tap: RunningTap) -> UInt64? {
        assignedSource(of: plan, in: tap)?.lookBackStart(in: tap.assignment)
    }

    /// The recorder capture that serves `plan` when `tap` looks back: the source's, of exactly the recorder the
    /// server named for it (the one its coverage check chose); nil when the tap does not look back, no recorder
    /// was named, or that one does not record the source here.
    private func lookBackRecording(_ plan: CapturePlan, of tap: RunningTap) async -> HostRecorders.Source? {
        guard tap.assignment.lookBackSince != nil, case .serverStream = tap.assignment.destination,
              let name = lookBackRecorder(of: plan, in: tap) else { return nil }
        return await recorders.recording(plan.source, by: name)
    }

    /// Stops a tap's captures and records its final status once they have ended (each within ~100 ms), so the
    /// last round's packets and drops are in it. Returns the tap's uploader, which sends its last batch next.
    @discardableResult
    private func end(_ id: String, reason: String) async -> CaptureUploader? {
        guard var tap = running.removeValue(forKey: id) else { return nil }
        for session in tap.current.values { session.stop() }
        for session in tap.current.values { _ = try? await session.ended() }
        // The sinks closed with their flows' last records: they go in the next flow report.
        if let flows = tap.flows { finishedFlows += drain(flows, into: &tap) }
        var final = status(of: tap)
        tap.kernel?.close()
        if final.state != .failed { final.state = .stopped }
        finished.append(final)
        logger.info("tap stopped", metadata: ["tap": "\(id)", "reason": "\(reason)", "packets": "\(final.packets)"])
        return tap.uploader
    }

    private func status(of tap: RunningTap) -> Tapster_Agent_V1_TapStatus {
        var status = Tapster_Agent_V1_TapStatus()
        status.tapID = tap.assignment.tapID
        for session in tap.sessions {
            let counters = session.counters
            status.packets += counters.packets
            status.bytes += counters.bytes
            status.kernelDrops += counters.kernelDrops
            status.capDrops += counters.capDrops
            status.sendDrops += counters.sendDrops
        }
        if let kernel = tap.kernel {
            let counters = kernel.counters
            status.capDrops += counters.capDrops
            status.sendDrops += counters.sendDrops
        }
        status.datapath = tap.datapath.name
        status.datapathReason = tap.datapath.reason ?? ""
        status.flowsDropped = tap.flowsDropped
        status.httpUnparsed = tap.httpUnparsed
        // Only the current sources say how the tap fares: one that left (its pod deleted) may have failed as it went.
        var failures = tap.failures.values.sorted()
        var ended = 0
        for session in tap.current.values {
            switch session.state {
            case .failed(let error):
                failures.append("\(session.plan.source.workload)/\(session.plan.source.interface): \(error)")
                ended += 1
            case .stopped: ended += 1
            case .starting, .running: break
            }
        }
        if !failures.isEmpty {
            status.state = .failed
            status.reason = failures.joined(separator: "; ")
        } else if tap.assignment.deadline <= Date() || (!tap.current.isEmpty && ended == tap.current.count) {
            status.state = .stopped
            status.reason = tap.assignment.deadline <= Date() ? "deadline" : ""
        } else {
            status.state = .applied
        }
        return status
    }
}
