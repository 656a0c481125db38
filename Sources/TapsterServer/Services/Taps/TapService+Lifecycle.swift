import Foundation
import Logging
import TapsterAPI
import TapsterCore
import TapsterStore

extension TapService {
    public func listTaps(_ p: Principal, states: Set<TapState>? = nil) async throws -> [Tap] {
        try Policy.require(p, .read, .tap, .collection)
        return try await store.listTaps(TapQuery(Policy.ownedScope(of: p), states: states))
    }

    /// A tap the principal may see, with its per-agent status.
    public func tap(_ p: Principal, _ id: String) async throws -> Tap {
        var tap = try await visibleTap(p, id, .read)
        var statuses = try await store.tapAgentStatuses(tapID: tap.id)
        if tap.capture != nil, let capture = try await store.findCapture(id: tap.id) {
            statuses = CaptureService.addingServerDrops(of: capture, to: statuses)
        }
        tap.agents = statuses.isEmpty ? nil : statuses
        return tap
    }

    func visibleTap(_ p: Principal, _ id: String, _ action: Action) async throws -> Tap {
        let tap = try await store.findTap(id: id)
        try Policy.requireOwned(p, action, .tap, tap?.ownership, reference: id)
        guard let tap else { throw TapsterError.notFound("tap", id) }
        return tap
    }

    /// Re-activates an ended tap: a new active period with the same filter and target, linked to it.
    public func reactivateTap(_ p: Principal, _ id: String, _ request: ReactivateRequest) async throws -> TapView {
        let earlier = try await visibleTap(p, id, .reactivate)
        guard earlier.state.isEnded else {
            throw TapsterError(.invalidState, "tap \(id) is still \(earlier.state.rawValue); only an ended tap can be re-activated")
        }
        guard earlier.capture == nil else {
            throw TapsterError(.invalidState, "tap \(id) ran a capture; captures are not re-activated: start a new one")
        }
        let filter = try await existing(earlier.filter, in: .filters, kind: .filter)
        let target = try await existing(earlier.target, in: .targets, kind: .target)
        return try await open(p, filter: filter, target: target, duration: request.duration ?? earlier.duration,
                              tenant: earlier.tenant, description: earlier.description, reactivating: earlier)
    }

    /// Admits and inserts a tap. A capture's tap carries its narrowing, and `alongside` writes the
    /// capture's own record in the same transaction.
    ///
    /// The workloads the tap selects are counted once it is committed (``recordMatches(of:filter:)``): the
    /// count reads every workload in the tap's scope, and agents are sent the tap without waiting for it.
    /// A capture counts them itself (`countingMatches: false`), after its session has begun.
    func open(_ p: Principal, filter: Filter, target: Target, duration: TapDuration, tenant: String?,
              description: String?, reactivating earlier: Tap?, capture: CaptureNarrowing? = nil, countingMatches: Bool = true,
              alongside: (@Sendable (any StoreSession, Tap) async throws -> Void)? = nil) async throws -> TapView {
        let opened = try await admissions.run {
            try await transaction(publishing: { [.tap(id: $0.id, .created)] }) { session in
                let grants = try await session.list(.grants, tenants: nil).filter { $0.filter == filter.name && $0.target == target.name }
                // The owner's row lock serialises admissions of one owner across replicas (the semaphore only within this one).
                let quota = try await session.lockUser(id: p.userID)?.spec.effectiveQuota ?? UserSpec.defaultQuota
                let live = try await session.liveTapCount(ownerID: p.userID)
                let admitted = try TapAdmission.admit(
                    p, filter: filter, target: target, duration: duration, requestedTenant: tenant, grants: grants,
                    liveTaps: live, quota: quota,
                    fullPayloadNeedsApproval: try await session.setting(ApprovalPolicy.fullPayloadSetting) == ApprovalPolicy.on)
                if admitted.approval == .required, let capture, capture.mode == .stream {
                    // A streamed capture is a session started now, read by a terminal or a tool as tcpdump's would be: it
                    // does not wait for a person. A stored capture waits (``CaptureService``), as a tap does.
                    throw TapsterError(.approvalRequired, "your grant for filter \"\(filter.name)\" with target \"\(target.name)\" requires "
                                       + "an admin's approval, and a streamed capture does not wait for one; store the capture instead "
                                       + "(tapster capture --store, with a store target): it waits for the approval and starts when an admin gives it")
                }
                var narrowing = capture
                if narrowing?.before != nil { narrowing?.entitledSince = admitted.entitledSince }
                var tap = Tap(tenant: admitted.tenant, owner: p.name, ownerID: p.userID, filter: filter.name, target: target.name, description: description,
                              state: .active, duration: duration, createdAt: now, reactivatedFrom: earlier?.id, matchedWorkloads: 0,
                              capture: narrowing)
                if admitted.approval == .required { tap = awaitingApproval(tap) }
                try await session.insertTap(tap)
                var details = ["filter": filter.name, "target": target.name, "duration": duration.description,
                               "deadline": TapsterJSON.formatTime(tap.deadline), "owner": p.name]
                if let earlier { details["reactivated_from"] = earlier.id }
                try await audit(session, p, earlier == nil ? AuditAction.tapCreated : AuditAction.tapReactivated, .tap,
                                id: tap.id, name: nil, tenant: tap.tenant, details: details)
                if tap.approval != nil {
                    try await audit(session, p, AuditAction.tapApprovalRequested, .tap, id: tap.id, name: nil, tenant: tap.tenant,
                                    details: ["owner": p.name, "filter": filter.name, "target": target.name,
                                              "expires_unanswered_at": TapsterJSON.formatTime(tap.deadline)])
                }
                try await alongside?(session, tap)
                return tap
            }
        }
        guard countingMatches else { return TapView(tap: opened, warnings: []) }
        return await recordMatches(of: opened, filter: filter.spec)
    }

    /// Counts the workloads committed tap `tap` selects (its filter `filter`, its tenant scope, a capture's
    /// narrowing) and records the count, as "matched at start". Never throws: the tap is committed and
    /// its agents have it, so a failure here is logged and the answer says the count is unknown (a client
    /// seeing an error would retry, and open a second tap).
    func recordMatches(of tap: Tap, filter: FilterSpec) async -> TapView {
        do {
            let matched = try await CatalogService.workloads(selectedBy: filter, for: tap, in: store)
                .filter { tap.capture?.selects($0.spec) ?? true }.count
            return await recordMatched(matched, of: tap, filter: filter.name)
        } catch {
            logger.warning("counting a new tap's workloads failed", metadata: ["tap": "\(tap.id)", "error": "\(error)"])
            return TapView(tap: tap, warnings: ["the workloads filter \"\(filter.name)\" matches could not be counted (\(error)); the tap runs"])
        }
    }

    /// Records `matched` as the workloads committed tap `tap` matched at its start (its own column: a stop
    /// or expiry meanwhile keeps it); 0 is a warning. Never throws, as ``recordMatches(of:filter:)``.
    func recordMatched(_ matched: Int, of tap: Tap, filter name: String) async -> TapView {
        var counted = tap
        counted.matchedWorkloads = matched
        do {
            try await store.recordMatchedWorkloads(matched, tapID: tap.id)
        } catch {
            logger.warning("recording a new tap's matched workloads failed", metadata: ["tap": "\(tap.id)", "error": "\(error)"])
        }
        var warnings: [String] = []
        if matched == 0 {
            warnings.append("filter \"\(name)\" matches no known workload yet; packets flow as soon as agents report matching workloads")
        }
        return TapView(tap: counted, warnings: warnings)
    }

    /// Stops a live tap: `stopped_by` is `admin` when an admin stops it, `user` otherwise.
    /// `auditDetails` are added to the audit event's (e.g. which API asked).
    @discardableResult
    public func stopTap(_ p: Principal, _ id: String, auditDetails: [String: String] = [:]) async throws -> Tap {
        let tap = try await visibleTap(p, id, .stop)
        let by: StopActor = p.isAdmin ? .admin : .user
        let stopped = try tap.applying(.stop(by: by, actor: p.name), at: now)
        let result = try await transaction(publishing: { [.tap(id: $0.id, .updated)] }) { session in
            guard try await session.updateTap(stopped, ifStateIs: tap.state) else {
                let current = try await session.findTap(id: id)?.state.rawValue ?? "gone"
                throw TapsterError(.invalidState, "tap \(id) is \(current); it cannot be stopped")
            }
            try await audit(session, p, AuditAction.tapStopped, .tap, id: tap.id, name: nil, tenant: tap.tenant,
                            details: ["stopped_by": by.rawValue, "owner": tap.owner].merging(auditDetails) { native, _ in native })
            return stopped
        }
        // A capture's session ends through the change feed (`CaptureBroker.follow`), on whichever replica runs it.
        return result
    }

    /// Marks every live tap whose deadline has passed as `expired`, audited as the system.
    /// Returns the taps it expired. Safe to run concurrently (compare-and-set on the state).
    @discardableResult
    public func expireDueTaps() async throws -> [Tap] {
        let at = now
        var expired: [Tap] = []
        for tap in try await store.dueTaps(at: at) {
            let next = try tap.applying(.expire, at: at)
            let done = try await store.transaction { session in
                guard try await session.updateTap(next, ifStateIs: tap.state) else { return false }
                var details = ["deadline": TapsterJSON.formatTime(tap.deadline), "owner": tap.owner]
                // A request nobody answered in time: said so, once, in the same event.
                if tap.approval?.state == .pending { details["approval"] = "expired unanswered" }
                try await audit(session, .system, AuditAction.tapExpired, .tap, id: tap.id, name: nil, tenant: tap.tenant, details: details)
                return true
            }
            if done { expired.append(next) }
        }
        changes.publish(expired.map { .tap(id: $0.id, .updated) })
        return expired
    }
}
