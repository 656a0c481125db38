import Foundation
import Logging
import TapsterCore
import TapsterWire

/// Brings the captures on this host in line with the server's desired set: starts what is new, stops what is
/// gone, restarts what changed, and leaves the rest alone — so applying the same set twice changes nothing.
/// Each capture enforces its tap's deadline by itself; the reconciler only reports it.
actor Reconciler {
    /// A tap this host is running: its assignment as received, a session per source that started, and the
    /// sources that could not.
    private struct RunningTap {
        var assignment: DesiredTap
        var sessions: [CaptureSession]
        var failures: [String]
        /// For `stream` taps: what sends the packets to the server.
        var uploader: CaptureUploader?
    }

    private let hostName: String
    private let logger: Logger
    private let sinks: SinkFactory
    private let connector: AgentConnector
    private let inventory: InventoryBoard
    private var running: [String: RunningTap] = [:]
    /// Final statuses of taps that ended since the last report.
    private var finished: [Tapster_Agent_V1_TapStatus] = []
    /// The revision of the last desired set applied (0 until the first).
    private(set) var appliedRevision: UInt64 = 0

    init(hostName: String, tunnelAddress: String?, connector: AgentConnector, inventory: InventoryBoard, logger: Logger) {
        self.inventory = inventory
        self.hostName = hostName
        self.logger = logger
        self.sinks = SinkFactory(hostName: hostName, tunnelAddress: tunnelAddress, logger: logger)
        self.connector = connector
    }

    /// Applies a desired set (a complete snapshot).
    func apply(_ desired: DesiredTapSet) async {
        var wanted: [String: DesiredTap] = [:]
        for assignment in desired.taps where wanted[assignment.tapID] == nil { wanted[assignment.tapID] = assignment }
        for (id, tap) in running where wanted[id] != tap.assignment {
            await end(id, reason: wanted[id] == nil ? "removed" : "changed")
        }
        for (id, assignment) in wanted.sorted(by: { $0.key < $1.key }) where running[id] == nil {
            await start(assignment)
        }
        await sinks.receive(desired.receptions)
        appliedRevision = desired.revision
    }

    /// The status of every running tap, and the final status of those that ended since the last report.
    func statusReport() -> Tapster_Agent_V1_StatusReport {
        var report = Tapster_Agent_V1_StatusReport()
        report.revision = appliedRevision
        report.taps = running.keys.sorted().compactMap { running[$0].map(status) } + finished
        finished = []
        return report
    }

    /// Stops every capture (the agent is shutting down).
    func stopAll() async {
        for id in running.keys { await end(id, reason: "agent shutting down") }
        await sinks.stopReceiving()
    }

    private func start(_ assignment: DesiredTap) async {
        var tap = RunningTap(assignment: assignment, sessions: [], failures: [])
        var upload: CaptureUpload?
        if case .serverStream(let captureID, let replicaAddress) = assignment.destination {
            upload = CaptureUpload(captureID: captureID, tapID: assignment.tapID, replicaAddress: replicaAddress,
                                   interfaces: sinks.captureInterfaces(for: assignment))
        }
        var indexed: [(index: UInt32, session: CaptureSession)] = []
        if assignment.deadline > Date() {
            for (index, plan) in assignment.capturePlans.enumerated() {
                do {
                    let mac = await inventory.mac(workload: plan.source.workload, interface: plan.source.interface)
                    let sink = try await sinks.makeSink(for: assignment.destination, plan: plan, localMAC: mac, upload: upload, index: index)
                    let session = CaptureSession(plan: plan, sink: sink, logger: logger)
                    try await session.start()
                    tap.sessions.append(session)
                    indexed.append((UInt32(index), session))
                } catch {
                    tap.failures.append("\(plan.source.workload)/\(plan.source.interface): \(error)")
                }
            }
        }
        if let upload {
            let uploader = CaptureUploader(upload: upload, connector: connector, logger: logger)
            uploader.start(sessions: indexed)
            tap.uploader = uploader
        }
        running[assignment.tapID] = tap
        logger.info("tap applied", metadata: [
            "tap": "\(assignment.tapID)", "captures": "\(tap.sessions.count)", "failed": "\(tap.failures.count)",
            "deadline": "\(assignment.deadline)",
        ])
        for failure in tap.failures { logger.warning("capture failed", metadata: ["tap": "\(assignment.tapID)", "reason": "\(failure)"]) }
    }

    /// Stops a tap's captures and records its final status once they have ended (each within ~100 ms), so the
    /// last round's packets and drops are in it.
    private func end(_ id: String, reason: String) async {
        guard let tap = running.removeValue(forKey: id) else { return }
        for session in tap.sessions { session.stop() }
        for session in tap.sessions { _ = try? await session.ended() }
        var final = status(of: tap)
        if final.state != .failed { final.state = .stopped }
        finished.append(final)
        logger.info("tap stopped", metadata: ["tap": "\(id)", "reason": "\(reason)", "packets": "\(final.packets)"])
    }

    private func status(of tap: RunningTap) -> Tapster_Agent_V1_TapStatus {
        var status = Tapster_Agent_V1_TapStatus()
        status.tapID = tap.assignment.tapID
        var failures = tap.failures
        var ended = 0
        for session in tap.sessions {
            let counters = session.counters
            status.packets += counters.packets
            status.bytes += counters.bytes
            status.kernelDrops += counters.kernelDrops
            status.capDrops += counters.capDrops
            status.sendDrops += counters.sendDrops
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
        } else if tap.assignment.deadline <= Date() || (!tap.sessions.isEmpty && ended == tap.sessions.count) {
            status.state = .stopped
            status.reason = tap.assignment.deadline <= Date() ? "deadline" : ""
        } else {
            status.state = .applied
        }
        return status
    }
}
