import Foundation
import Logging
import TapsterAPI
import TapsterCore
import TapsterObjectStore
import TapsterStore

/// Captures: tcpdump across every instance of an app. A capture runs as a tap (so admission, quota,
/// expiry, stopping and audit are the taps'), narrowed by the capture's own flags, through a grant whose
/// target is `stream` or `store`; its ``Capture`` record follows the pcapng the broker makes of it.
extension CaptureService {
    // MARK: Creating

    /// Starts a capture: picks the grant (``CaptureGrantChoice``), checks the narrowing (libpcap
    /// compiles the expression; the snaplen is capped by the target's payload, with a warning), opens
    /// the tap with the capture's record in one transaction, then starts the capture in the broker.
    /// `workloads` (`host/workload`) narrows it to those of the filter's workloads: a trigger's alert's.
    public func createCapture(_ p: Principal, _ request: CaptureRequest) async throws -> CaptureView {
        try await createCapture(p, request, restrictedTo: nil)
    }

    func createCapture(_ p: Principal, _ request: CaptureRequest, restrictedTo workloads: [String]?) async throws -> CaptureView {
        try Policy.require(p, .create, .capture, .collection)
        var narrowing = try request.narrowing()
        narrowing.workloads = workloads
        if narrowing.mode == .store, broker.settings.objectStore == nil {
            throw TapsterError(.unavailable, "this server has no capture store; stored captures are unavailable")
        }
        try await broker.admit(narrowing.mode)
        let grants = try await store.list(.grants, tenants: nil)
        let kinds = Dictionary(try await store.list(.targets, tenants: nil).map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
        let choice = try CaptureGrantChoice.choose(p, filter: request.filter, target: request.target, mode: narrowing.mode,
                                                   grants: grants, targetKinds: kinds)
        let filter = try await catalog.visibleFilter(p, choice.filter)
        let target = try await catalog.target(p, choice.target)
        guard target.kind == narrowing.mode.targetKind else {
            throw TapsterError.invalid("target", "\"\(target.name)\" is a\(target.kind == .erspan ? "n" : "") \(target.kind.rawValue) target; "
                                       + "a \(narrowing.mode.rawValue == "store" ? "stored" : "streamed") capture needs a \(narrowing.mode.targetKind.rawValue) target")
        }
        if let bpf = narrowing.bpf {
            try await filterCompiler.compile(bpf, field: "bpf", allowingNames: p.role == .admin)
            if let combined = narrowing.expression(narrowing: try filter.spec.trafficExpression()) {
                try await filterCompiler.compile(combined, field: "bpf", allowingNames: p.role == .admin)
            }
        }
        var warnings: [String] = []  // what the capture holds less than asked: kept on its record (``Capture/warnings``)
        let payload = target.spec.effectivePayload
        if let snaplen = narrowing.snaplen, snaplen > payload.snaplen {
            warnings.append("snaplen \(snaplen) is capped to \(payload.snaplen), the payload of target \"\(target.name)\"")
            narrowing.snaplen = payload.snaplen
        }
        let duration = request.duration ?? Self.longestGrant(of: choice, for: p, in: grants) ?? CaptureRequest.defaultAdminDuration
        let retention = target.spec.retention ?? TargetSpec.defaultRetention
        let mode = narrowing.mode
        let details = Self.auditDetails(request, narrowing)
        // This replica runs the capture (its reader attaches here): its tap's plan sends agents' packets here.
        let replica = broker.settings.replica
        narrowing.replica = replica
        let opened = try await taps.open(p, filter: filter, target: target, duration: duration, tenant: request.tenant,
                                    description: request.description, reactivating: nil, capture: narrowing,
                                    countingMatches: false) { [narrowing, warnings] session, tap in
            // After admission, on exactly the workloads the capture selects (its tap's tenant): a look-back is never
            // checked against, nor refused because of, a workload the capture would not take.
            if let before = narrowing.before {
                try await Self.requireRecorded(before, filter: filter, narrowing: narrowing, tap: tap, for: p, session: session)
            }
            // A capture waiting for approval (a stored one: a streamed one is refused) has neither object nor allowance
            // nor retention yet: they are its start's, on approval (``startApprovedCapture(_:)``).
            let waits = tap.state == .pending
            var capture = Capture(
                id: tap.id, tenant: tap.tenant, owner: tap.owner, ownerID: tap.ownerID, filter: tap.filter, target: tap.target, mode: mode,
                state: waits ? .pending : .live, createdAt: tap.createdAt, deadline: tap.deadline,
                objectKey: mode == .store && !waits ? Self.objectKey(tap) : nil,
                expiresAt: mode == .store && !waits ? tap.deadline.addingTimeInterval(TimeInterval(retention.seconds)) : nil)
            capture.replica = replica
            capture.warnings = warnings.isEmpty ? nil : warnings
            if mode == .store, !waits { capture.storedBytesAllowance = try await Self.storedBytesAllowance(for: capture, session: session) }
            try await session.insertCapture(capture)
            var audited = details.merging(["mode": mode.rawValue, "duration": duration.description,
                                           "filter": tap.filter, "target": tap.target]) { own, _ in own }
            if waits { audited["approval"] = "pending" }
            try await audit(session, p, AuditAction.captureCreated, .capture, id: tap.id, name: nil, tenant: tap.tenant, details: audited)
        }
        let tap = opened.tap
        if tap.state == .pending {
            // Nothing starts: the broker starts it when its tap is approved (the change feed), on this replica.
            await broker.awaitApproval(tap.id)
            await settlePendingCapture(tap.id)  // decided already (in the instant before the broker watched it)?
            guard let capture = try await store.findCapture(id: tap.id) else { throw TapsterError.notFound("capture", tap.id) }
            // Its look-back as it would be now; the record keeps the one computed when it starts, from the approval.
            return CaptureView(capture: capture, warnings: warnings + Self.lookBackWarnings(of: tap) + [
                "your grant requires an admin's approval: capture \(tap.id) waits, capturing nothing, until an admin approves it "
                + "(it then runs for \(duration), counted from the approval) or rejects it; unanswered, the request expires at "
                + "\(TapsterJSON.formatTime(tap.deadline))"])
        }
        let counted = try await beginSession(of: tap, filter: filter, target: target)
        guard let capture = try await store.findCapture(id: tap.id) else { throw TapsterError.notFound("capture", tap.id) }
        return CaptureView(capture: capture, warnings: warnings + counted.warnings)
    }

    /// Says so when a capture's look-back is shorter than asked because its owner's entitlement is younger
    /// (``CaptureNarrowing/lookBackStart(startedAt:)``): a capture never silently holds less than its flags said.
    static func lookBackWarnings(of tap: Tap) -> [String] {
        guard let narrowing = tap.capture, let before = narrowing.before,
              let start = narrowing.lookBackStart(startedAt: tap.startedAt) else { return [] }
        let reached = tap.startedAt.millisecondsSince1970 - start.millisecondsSince1970
        guard reached < before.seconds * 1000 else { return [] }
        return ["the look-back starts at \(TapsterJSON.formatTime(start)), \(secondsInTenths(reached)) s before the capture instead of "
                + "\(before): that is when its owner became entitled to it (the grant or filter \"\(tap.filter)\" it captures through took "
                + "its current form, or its owner joined tenant \"\(tap.tenant ?? "")\", whichever came last), and packets from before it "
                + "are not the owner's to see"]
    }

    /// `milliseconds` as seconds to the nearest tenth (`30.1`), from the times as the message and the API show them
    /// (whole milliseconds), in integers: a gap of …50 ms rounds up whichever way the times were taken — computed from
    /// `Date`s or from their text, in binary floating point, it went either way (the suite's tests did both, and
    /// disagreed).
    static func secondsInTenths(_ milliseconds: Int64) -> String {
        let tenths = (max(milliseconds, 0) + 50) / 100
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Says which of `selected` (the workloads capture `tap` takes) look back less than the capture as a whole,
    /// because they joined its tenant since (``CaptureNarrowing/lookBackStart(startedAt:tenantSince:)``).
    static func lookBackWarnings(of tap: Tap, workloads selected: [Workload]) -> [String] {
        guard let narrowing = tap.capture, let start = narrowing.lookBackStart(startedAt: tap.startedAt) else { return [] }
        return selected.sorted { ($0.host, $0.name) < ($1.host, $1.name) }.compactMap { workload in
            guard let own = narrowing.lookBackStart(startedAt: tap.startedAt, tenantSince: workload.tenancyStart), own > start else { return nil }
            return "the look-back of \(workload.host)/\(workload.name) starts at \(TapsterJSON.formatTime(own)), when it joined tenant "
                + "\"\(tap.tenant ?? "")\": what it sent before was not this tenant's"
        }
    }

    /// Starts the broker's session of capture `tap` (active: its agents have it, or are being sent it), and counts
    /// the workloads it selects from the same scan, once the session runs. Its look-back warnings, capture-wide and
    /// per workload, are the answer's (after the capture-wide one, before the rest) and are kept on its record's
    /// ``Capture/warnings`` — whether it starts now or on approval.
    func beginSession(of tap: Tap, filter: Filter, target: Target) async throws -> TapView {
        guard let narrowing = tap.capture else { throw TapsterError(.internal, "tap \(tap.id) is not a capture") }
        let mode = narrowing.mode
        let payload = target.spec.effectivePayload
        let allowance = mode == .store ? try await store.findCapture(id: tap.id)?.storedBytesAllowance : nil
        let selected = try await CatalogService.workloads(selectedBy: filter.spec, for: tap, in: store).filter { narrowing.selects($0.spec) }
        let (captureWide, perWorkload) = (Self.lookBackWarnings(of: tap), Self.lookBackWarnings(of: tap, workloads: selected))
        await keep(captureWide + perWorkload, onCapture: tap.id)
        let hosts = selected.map(\.host)
        await broker.begin(CaptureStart(
            id: tap.id, mode: mode, deadline: tap.deadline, packetLimit: narrowing.packetLimit, byteLimit: narrowing.byteLimit,
            objectKey: mode == .store ? Self.objectKey(tap) : nil, tags: Self.objectTags(tap), expectedAgents: Set(hosts),
            snapLength: UInt32(clamping: min(narrowing.snaplen.flatMap { $0 > 0 ? $0 : nil } ?? payload.snaplen, payload.snaplen)),
            storedBytesAllowance: allowance))
        // Counted from the same scan, once the session runs (its agents have the tap since the commit).
        var view = await taps.recordMatched(selected.count, of: tap, filter: filter.name)
        view.warnings = captureWide + view.warnings + perWorkload
        return view
    }

    /// Adds `warnings` to capture `id`'s record while it is live (before its session begins, which writes the record
    /// from then on). They are told, not needed to run: a store that fails here is logged, and the capture starts.
    private func keep(_ warnings: [String], onCapture id: String) async {
        guard !warnings.isEmpty else { return }
        do {
            guard var capture = try await store.findCapture(id: id) else { return }
            capture.warnings = (capture.warnings ?? []) + warnings
            _ = try await store.updateCapture(capture, ifStateIs: .live)  // stopped meanwhile: it ends, its warnings with it
        } catch {
            logger.warning("keeping a capture's warnings on its record failed", metadata: ["capture": "\(id)", "error": "\(error)"])
        }
    }

    // MARK: Reading

    public func listCaptures(_ p: Principal, states: Set<Capture.State>? = nil) async throws -> [Capture] {
        try Policy.require(p, .read, .capture, .collection)
        return try await store.listCaptures(CaptureQuery(Policy.ownedScope(of: p), states: states))
            .map { $0.withReadersVisible(to: p) }
    }

    /// A capture the principal may see.
    public func capture(_ p: Principal, _ id: String) async throws -> Capture {
        try await visibleCapture(p, id, .read).withReadersVisible(to: p)
    }

    func visibleCapture(_ p: Principal, _ id: String, _ action: Action) async throws -> Capture {
        let capture = try await store.findCapture(id: id)
        try Policy.requireOwned(p, action, .capture, capture?.ownership, reference: id)
        guard let capture else { throw TapsterError.notFound("capture", id) }
        return capture
    }

    /// A capture whose packets the principal may read (``Policy/requirePacketAccess(_:_:reference:)``).
    func capturePackets(_ p: Principal, _ id: String) async throws -> Capture {
        let capture = try await store.findCapture(id: id)
        try Policy.requirePacketAccess(p, capture?.ownership, reference: id)
        guard let capture else { throw TapsterError.notFound("capture", id) }
        return capture
    }

    /// Becomes the one reader of a live streamed capture; audited with the reader as the actor.
    func captureReader(_ p: Principal, _ id: String) async throws -> CaptureReader {
        let capture = try await capturePackets(p, id)
        guard capture.mode == .stream else {
            throw TapsterError(.invalidState, "capture \(id) is stored, not streamed; download it when it is complete")
        }
        guard capture.state == .live else {
            throw TapsterError(.invalidState, "capture \(id) is \(capture.state.rawValue); only a live capture can be streamed")
        }
        let reader = try await broker.reader(for: id, userID: p.userID)
        try await store.transaction { session in
            try await audit(session, p, AuditAction.captureStreamAttached, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                            details: ["owner": capture.owner])
        }
        return reader
    }

    /// Records that `p` stopped reading the live stream of capture `id` (it ended, or the reader left).
    func captureReaderDetached(_ p: Principal, _ id: String, reason: String) async {
        let tenant = try? await store.findCapture(id: id)?.tenant
        do {
            try await store.transaction { session in
                try await audit(session, p, AuditAction.captureStreamDetached, .capture, id: id, name: nil, tenant: tenant ?? nil,
                                details: ["reason": reason])
            }
        } catch {
            logger.error("could not audit the end of a capture stream", metadata: ["capture": "\(id)", "error": "\(error)"])
        }
    }

    // MARK: Downloading

    /// A URL that downloads a complete stored capture without a token until it expires: absolute when the
    /// server has an external URL (``CaptureSettings/externalURL``), else a path on the client's server URL.
    public func captureDownloadLink(_ p: Principal, _ id: String) async throws -> CaptureDownloadLink {
        let capture = try await capturePackets(p, id)
        try Self.requireDownloadable(capture)
        let signed = broker.settings.signer.sign(captureID: capture.id, reader: p.userID, now: now)
        let path = "/api/v1/captures/\(capture.id)/download?\(signed.query)"
        try await store.transaction { session in
            try await audit(session, p, AuditAction.captureDownloadLinkCreated, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                            details: ["expires_at": TapsterJSON.formatTime(signed.expiresAt), "owner": capture.owner])
        }
        return CaptureDownloadLink(url: broker.settings.externalURL?.absolute(path), path: path, expiresAt: signed.expiresAt)
    }

    /// Opens a stored capture for a download whose only credential is its signed URL (checked here).
    func downloadCapture(_ id: String, queryItems: [URLQueryItem], remoteAddress: String) async throws -> (Capture, ObjectDownload) {
        let signed: SignedURL
        do {
            signed = try broker.settings.signer.verify(captureID: id, queryItems: queryItems, now: now)
        } catch .expired(let at) {
            await auditRefusedDownload(id, reason: ErrorCode.signatureExpired.rawValue, remoteAddress: remoteAddress)
            throw TapsterError(.signatureExpired, "this download link expired at \(TapsterJSON.formatTime(at)); ask for a new one")
        } catch {
            await auditRefusedDownload(id, reason: ErrorCode.signatureInvalid.rawValue, remoteAddress: remoteAddress)
            throw TapsterError(.signatureInvalid, "this download link is not valid for capture \(id)")
        }
        guard let capture = try await store.findCapture(id: id) else { throw TapsterError.notFound("capture", id) }
        try await requireLinkReader(signed.reader, of: capture, remoteAddress: remoteAddress)
        try Self.requireDownloadable(capture)
        guard let objectStore = broker.settings.objectStore, let key = capture.objectKey else {
            throw TapsterError(.unavailable, "this server has no capture store")
        }
        let download: ObjectDownload
        do {
            download = try await objectStore.download(key: key)
        } catch ObjectStoreError.notFound(_) {
            throw TapsterError(.notFound, "the object of capture \(id) is gone from the capture store")
        }
        try await store.transaction { session in
            try await audit(session, .system, AuditAction.captureDownloaded, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                            details: ["owner": capture.owner, "via": "signed_url", "remote_address": remoteAddress,
                                      "size": String(download.size)])
        }
        return (capture, download)
    }

    /// The user a download link was made for must still be allowed to read the capture's packets — exist, be
    /// enabled, and pass ``Policy/mayReadPackets(_:of:)`` now — so that deleting or disabling them, or ending
    /// their entitlement, ends their links too; otherwise 403, audited like a bad signature.
    private func requireLinkReader(_ reader: String, of capture: Capture, remoteAddress: String) async throws {
        let user = try await store.findUser(reader)
        guard let user, user.id == reader, !user.disabled, Policy.mayReadPackets(user.principal, of: capture.ownership) else {
            await auditRefusedDownload(capture.id, reason: "reader_not_entitled", remoteAddress: remoteAddress)
            throw TapsterError(.forbidden, "the user this download link was made for may no longer read capture \(capture.id)'s packets")
        }
    }

    /// Audits a download refused for its signature — someone holding, guessing or replaying a link — when
    /// the capture exists (a made-up id names nothing worth a record, and would let anyone fill the log),
    /// rate-limited by ``RefusalAuditLimiter`` with the repeats counted.
    private func auditRefusedDownload(_ id: String, reason: String, remoteAddress: String) async {
        let capture: Capture?
        do { capture = try await store.findCapture(id: id) } catch {
            logger.error("could not audit a refused capture download", metadata: ["capture": "\(id)", "error": "\(error)"])
            return
        }
        guard let capture else { return }
        // Anyone holding a link can repeat it, from any address: at most one event per capture and interval.
        await refusals.auditRefusal(AuditEntry(actor: Principal.system.name, action: AuditAction.captureDownloadRefused,
                                      objectType: ResourceKind.capture.rawValue, objectId: capture.id, tenant: capture.tenant,
                                      details: ["owner": capture.owner, "reason": reason, "remote_address": remoteAddress]),
                           subject: capture.id, source: remoteAddress)
    }

    private static func requireDownloadable(_ capture: Capture) throws(TapsterError) {
        guard capture.mode == .store else {
            throw TapsterError(.invalidState, "capture \(capture.id) was streamed, not stored; there is nothing to download")
        }
        guard capture.state == .complete else {
            throw TapsterError(.invalidState, "capture \(capture.id) is \(capture.state.rawValue); only a complete capture can be downloaded")
        }
    }

    // MARK: Deleting

    /// Deletes a capture: a live one is stopped first (and waited for); a stored object is deleted. The
    /// record stays, `deleted`, as history. Deleting a deleted capture does nothing.
    public func deleteCapture(_ p: Principal, _ id: String) async throws {
        var capture = try await visibleCapture(p, id, .delete)
        if capture.state == .pending {
            // Withdrawn before approval: its tap stops, and the capture ends without having started.
            if let tap = try await store.findTap(id: id), tap.state.isLive {
                do {
                    try await taps.stopTap(p, id, auditDetails: ["via": "capture_delete"])
                } catch let error as TapsterError where error.code == .invalidState {
                    // Decided or expired meanwhile.
                }
            }
            await settlePendingCapture(id)
            capture = try await visibleCapture(p, id, .delete)
        }
        if capture.state == .live {
            if let tap = try await store.findTap(id: id), tap.state.isLive {
                do {
                    try await taps.stopTap(p, id, auditDetails: ["via": "capture_delete"])
                } catch let error as TapsterError where error.code == .invalidState {
                    // It ended meanwhile.
                }
            }
            // Synchronous, not left to the change feed: the deletion waits for the capture's end (its
            // pcapng closed, its object complete) before it deletes the object, and must not wait on the feed.
            await broker.tapEnded(id, reason: .stopped)
            await broker.waitUntilFinished(id, timeout: broker.settings.drainGrace + .seconds(30))
            capture = try await visibleCapture(p, id, .delete)
        }
        guard capture.state != .deleted else { return }
        if let key = capture.objectKey, let objectStore = broker.settings.objectStore {
            try await objectStore.delete(key: key)
        }
        let expected = capture.state
        var deleted = capture
        deleted.state = .deleted
        try await store.transaction { [capture, deleted] session in
            guard try await session.updateCapture(deleted, ifStateIs: expected) else { return }
            try await audit(session, p, AuditAction.captureDeleted, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                            details: ["owner": capture.owner, "object_key": capture.objectKey ?? ""])
        }
    }

    // MARK: Retention

    /// Deletes every stored capture whose retention has passed, audited as the system; returns them.
    @discardableResult
    public func sweepExpiredCaptures() async throws -> [Capture] {
        guard let objectStore = broker.settings.objectStore else { return [] }
        var swept: [Capture] = []
        for capture in try await store.expiredCaptures(at: now) {
            guard let key = capture.objectKey else { continue }
            try await objectStore.delete(key: key)
            var deleted = capture
            deleted.state = .deleted
            let done = try await store.transaction { [deleted] session in
                guard try await session.updateCapture(deleted, ifStateIs: capture.state) else { return false }
                try await audit(session, .system, AuditAction.captureExpired, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                                details: ["owner": capture.owner, "object_key": key,
                                          "expires_at": capture.expiresAt.map(TapsterJSON.formatTime) ?? ""])
                return true
            }
            if done { swept.append(deleted) }
        }
        return swept
    }

    /// The next time a stored capture expires.
    func nextCaptureExpiry() async throws -> Date? {
        try await store.nextCaptureExpiry()
    }

    /// Captures recorded live that no broker runs — the server stopped while they ran — are failed
    /// (and their taps stopped). Run at start-up, before agents reconnect. Only this replica's (and those
    /// naming none): other replicas' live captures are theirs, and running.
    func failOrphanedCaptures() async throws {
        for capture in try await store.listCaptures(CaptureQuery(states: [.live], replica: broker.settings.replica?.name)) {
            guard await broker.session(capture.id) == nil else { continue }
            await recordCaptureEnd(capture.id, reason: .failed)
            var failed = capture
            failed.state = .failed
            failed.endedAt = now
            failed.endReason = .failed
            failed.failureReason = "the server stopped while the capture ran"
            try await store.updateCapture(failed, ifStateIs: .live)
        }
    }

    // MARK: What the broker reports

    /// The broker ended a capture by itself: its tap is stopped (on behalf of its owner), audited with why.
    func recordCaptureEnd(_ id: String, reason: CaptureEndReason) async {
        do {
            guard let tap = try await store.findTap(id: id) else { return }
            if reason == .clientGone {
                try await store.transaction { session in
                    try await audit(session, .system, AuditAction.captureClientGone, .capture, id: id, name: nil, tenant: tap.tenant,
                                    details: ["owner": tap.owner])
                }
            }
            guard tap.state.isLive else { return }
            let stopped = try tap.applying(.stop(by: .user, actor: tap.owner), at: now)
            let done = try await store.transaction { session in
                guard try await session.updateTap(stopped, ifStateIs: tap.state) else { return false }
                try await audit(session, .system, AuditAction.tapStopped, .tap, id: id, name: nil, tenant: tap.tenant,
                                details: ["stopped_by": StopActor.user.rawValue, "owner": tap.owner, "reason": reason.rawValue])
                return true
            }
            if done { changes.publish(.tap(id: id, .updated)) }
        } catch {
            logger.error("stopping a capture's tap failed", metadata: ["capture": "\(id)", "reason": "\(reason.rawValue)", "error": "\(error)"])
        }
    }

    /// A live capture's counters so far.
    func recordCaptureProgress(_ id: String, _ summary: CaptureSummary) async {
        do {
            guard var capture = try await store.findCapture(id: id), capture.state == .live else { return }
            capture.apply(summary)
            try await store.updateCapture(capture, ifStateIs: .live)
        } catch {
            logger.warning("recording a capture's counters failed", metadata: ["capture": "\(id)", "error": "\(error)"])
        }
    }

    /// A capture's pcapng is complete (or failed): its record says so, with the final counters, and the
    /// end is audited. A stored capture deleted meanwhile has its object deleted.
    func recordCaptureFinished(_ id: String, _ summary: CaptureSummary, stored: StoredObject?, failure: String?) async {
        do {
            guard var capture = try await store.findCapture(id: id) else { return }
            let previous = capture.state
            capture.apply(summary)
            capture.endedAt = summary.at
            capture.endReason = failure == nil ? summary.reason ?? .stopped : .failed
            if let stored {
                capture.size = stored.size
                let retention = try await store.find(capture.target, in: .targets)?.spec.retention ?? TargetSpec.defaultRetention
                capture.expiresAt = summary.at.addingTimeInterval(TimeInterval(retention.seconds))
            }
            if previous == .live {
                capture.state = failure == nil ? .complete : .failed
                capture.failureReason = failure
            } else if previous == .deleted, let key = stored?.key, let objectStore = broker.settings.objectStore {
                try await objectStore.delete(key: key)
            }
            try await store.transaction { [capture] session in
                guard try await session.updateCapture(capture, ifStateIs: previous) else { return }
                var details = ["owner": capture.owner, "reason": capture.endReason?.rawValue ?? "", "packets": String(capture.packets),
                               "drops": String(capture.drops), "size": String(capture.size), "hosts": String(capture.hosts.count)]
                if let key = capture.objectKey { details["object_key"] = key }
                if let failure { details["failure"] = failure }
                try await audit(session, .system, AuditAction.captureStopped, .capture, id: id, name: nil, tenant: capture.tenant, details: details)
            }
        } catch {
            logger.error("recording a capture's end failed", metadata: ["capture": "\(id)", "error": "\(error)"])
        }
    }

    // MARK: Parts

    /// The longest duration the grants of this filter/target pair allow `p`; nil for none (admins).
    static func longestGrant(of choice: CaptureGrantChoice.Choice, for p: Principal, in grants: [Grant]) -> TapDuration? {
        grants.filter { $0.filter == choice.filter && $0.target == choice.target && $0.spec.addresses(p) }.map(\.maxDuration).max()
    }

    /// Where a stored capture goes in the capture store: `<tenant>/<id>.pcapng` (`_` for no tenant).
    static func objectKey(_ tap: Tap) -> String {
        "\(tap.tenant ?? "_")/\(tap.id).pcapng"
    }

    /// The tags of a stored capture's object.
    static func objectTags(_ tap: Tap) -> [String: String] {
        ["owner": tap.owner, "tenant": tap.tenant ?? "", "tap": tap.id, "filter": tap.filter, "target": tap.target]
    }

    /// Tap per-host counters with the server's own drops of a capture added to each agent's.
    static func addingServerDrops(of capture: Capture, to statuses: [TapAgentStatus]) -> [TapAgentStatus] {
        let drops = capture.serverDropsByAgent
        return statuses.map { status in
            guard let extra = drops[status.agent], extra > 0 else { return status }
            var status = status
            status.drops &+= extra
            var causes = status.dropsByCause ?? DropCounts()
            causes.buffer &+= extra
            status.dropsByCause = causes
            return status
        }
    }

    static func auditDetails(_ request: CaptureRequest, _ narrowing: CaptureNarrowing) -> [String: String] {
        var details: [String: String] = [:]
        if let selector = narrowing.selector { details["selector"] = selector.description }
        if let interface = narrowing.interface { details["interface"] = interface }
        if let snaplen = narrowing.snaplen { details["snaplen"] = String(snaplen) }
        if let before = narrowing.before { details["before"] = before.description }
        if let bpf = narrowing.bpf { details["bpf"] = bpf }
        if let count = narrowing.packetLimit { details["count"] = String(count) }
        if let bytes = narrowing.byteLimit { details["byte_limit"] = String(bytes) }
        return details
    }
}

extension Capture {
    /// Takes the broker's counters.
    mutating func apply(_ summary: CaptureSummary) {
        packets = summary.packets
        size = summary.size
        drops = summary.drops
        interfaces = summary.interfaces
        absences = summary.absences.isEmpty ? nil : summary.absences
        outOfOrderPackets = summary.outOfOrderPackets == 0 ? nil : summary.outOfOrderPackets
    }
}

/// The capture service as the capture broker's ``CaptureRecorder``.
struct CaptureServiceRecorder: CaptureRecorder {
    let captures: CaptureService

    func progress(_ id: String, _ summary: CaptureSummary) async {
        await captures.recordCaptureProgress(id, summary)
    }

    func ended(_ id: String, reason: CaptureEndReason) async {
        await captures.recordCaptureEnd(id, reason: reason)
    }

    func finished(_ id: String, _ summary: CaptureSummary, stored: StoredObject?, failure: String?) async {
        await captures.recordCaptureFinished(id, summary, stored: stored, failure: failure)
    }

    func pendingCaptureChanged(_ id: String) async {
        await captures.settlePendingCapture(id)
    }
}
