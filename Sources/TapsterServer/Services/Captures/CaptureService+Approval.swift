import Foundation
import Logging
import TapsterAPI
import TapsterCore
import TapsterStore

/// Stored captures that wait for four-eyes approval. A stored capture through a grant that requires approval is
/// created `pending` with its tap (``TapService/awaitingApproval(_:)``): no agent is sent the tap, no session runs,
/// no object is opened. The replica that created it (its ``Capture/replica``) watches its tap on the change feed
/// (``CaptureBroker/awaitApproval(_:)``) and, at start-up, every pending capture of its own
/// (``resumePendingCaptures()``), so a restart loses none:
///
/// - approved (the tap `active`, its deadline counted from the approval): the capture becomes `live` — its object,
///   retention and stored-bytes allowance from now — and its session begins (``startApprovedCapture(_:_:)``);
/// - rejected, expired unanswered, withdrawn (the tap stopped), or ended otherwise before it started: the capture
///   ends `failed` with its reason (`rejected`, `approval_expired`, `stopped`), audited once as `capture.stopped`
///   (a compare-and-set from `pending`, once across replicas and restarts).
///
/// A streamed capture never waits: its reader is a terminal or a tool reading now (``TapService`` refuses it).
extension CaptureService {
    /// Registers with the broker every pending capture this replica runs (and those naming no replica), and settles
    /// those whose request was decided or expired while the server was down. Run at start-up, subscribed to the feed.
    func resumePendingCaptures() async throws {
        for capture in try await store.listCaptures(CaptureQuery(states: [.pending], replica: broker.settings.replica?.name)) {
            await broker.awaitApproval(capture.id)
            await settlePendingCapture(capture.id)
        }
    }

    /// Reads pending capture `id`'s tap and acts on it: starts the capture once approved, ends it once the request
    /// ended otherwise, and leaves it while it waits. A read that fails is left to the next change or resync.
    func settlePendingCapture(_ id: String) async {
        do {
            guard let capture = try await store.findCapture(id: id), capture.state == .pending else {
                await broker.approvalSettled(id)
                return
            }
            let ending: (reason: CaptureEndReason, failure: String)
            if let tap = try await store.findTap(id: id) {
                switch tap.state {
                case .pending:
                    return
                case .active:
                    await broker.approvalSettled(id)
                    await startApprovedCapture(tap, capture)
                    return
                case .rejected:
                    let by = tap.approval?.approver ?? "an admin"
                    ending = (.rejected, "rejected by \(by)" + (tap.approval?.reason.map { ": \($0)" } ?? ""))
                case .expired where tap.approval?.state == .expired:
                    ending = (.approvalExpired, "expired unanswered: no admin approved it by \(TapsterJSON.formatTime(tap.endedAt ?? tap.deadline))")
                case .stopped:
                    ending = (.stopped, "withdrawn before it was approved (stopped by \(tap.stoppedByUser ?? tap.stoppedBy?.rawValue ?? "a user"))")
                case .expired, .failed:
                    // Approved, then ended before this replica could start it (it was down past the deadline).
                    ending = (tap.state == .expired ? .deadline : .failed,
                              tap.failureReason ?? "its tap ended (\(tap.state.rawValue)) before the capture could start")
                }
            } else {
                ending = (.stopped, "its tap is gone; it never started")
            }
            // Settled only once the end is written: a failed write is tried again at the next change.
            try await endBeforeStart(capture, reason: ending.reason, failure: ending.failure)
            await broker.approvalSettled(id)
        } catch {
            logger.warning("settling a capture waiting for approval failed", metadata: ["capture": "\(id)", "error": "\(error)"])
        }
    }

    /// The capture's tap was approved: the capture becomes `live` with the tap's deadline (counted from the approval),
    /// its object key and retention, and a stored-bytes allowance reserved now; then its session begins, its look-back
    /// warnings kept on its record (``Capture/warnings``) for its owner to read. Refused here
    /// (the server's capture budget, the tenant's stored-bytes quota, its filter or target gone), it fails and its tap
    /// is stopped, as a capture refused at creation would never have started.
    func startApprovedCapture(_ tap: Tap, _ capture: Capture) async {
        let id = capture.id
        var state = Capture.State.pending
        do {
            guard let filter = try await store.find(tap.filter, in: .filters), let target = try await store.find(tap.target, in: .targets) else {
                throw TapsterError(.notFound, "its filter \"\(tap.filter)\" or target \"\(tap.target)\" no longer exists")
            }
            try await broker.admit(capture.mode)
            let retention = target.spec.retention ?? TargetSpec.defaultRetention
            var live = capture
            live.state = .live
            live.deadline = tap.deadline
            if capture.mode == .store {
                live.objectKey = Self.objectKey(tap)
                live.expiresAt = tap.deadline.addingTimeInterval(TimeInterval(retention.seconds))
            }
            let started = try await store.transaction { [live] session in
                var live = live
                if live.mode == .store { live.storedBytesAllowance = try await Self.storedBytesAllowance(for: live, session: session) }
                return try await session.updateCapture(live, ifStateIs: .pending)
            }
            guard started else { return }
            state = .live
            // Its look-back warnings, counted from the approval, go on its record (no one waits for this answer).
            _ = try await beginSession(of: tap, filter: filter, target: target)
        } catch {
            let message = (error as? TapsterError)?.message ?? "\(error)"
            logger.warning("starting an approved capture failed", metadata: ["capture": "\(id)", "error": "\(error)"])
            do {
                try await endBeforeStart(capture, reason: .failed, failure: "approved, but it could not start: \(message)", from: state)
            } catch {
                logger.error("recording a capture that could not start failed", metadata: ["capture": "\(id)", "error": "\(error)"])
            }
            await recordCaptureEnd(id, reason: .failed)
        }
    }

    /// Ends a capture that never started: `failed` with `reason` and `failure`, audited once (`capture.stopped`,
    /// as the system) — nothing when it is no longer `expected` (pending; live when its session could not begin).
    func endBeforeStart(_ capture: Capture, reason: CaptureEndReason, failure: String, from expected: Capture.State = .pending) async throws {
        var ended = capture
        ended.state = .failed
        ended.endedAt = now
        ended.endReason = reason
        ended.failureReason = failure
        try await store.transaction { [ended] session in
            guard try await session.updateCapture(ended, ifStateIs: expected) else { return }
            try await audit(session, .system, AuditAction.captureStopped, .capture, id: ended.id, name: nil, tenant: ended.tenant,
                            details: ["owner": ended.owner, "reason": reason.rawValue, "failure": failure, "packets": "0",
                                      "started": "false"])
        }
    }
}
