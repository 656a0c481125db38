import Foundation
import Logging
import TapsterAPI
import TapsterCore
import TapsterStore

/// A trigger's webhook: authenticate, read the alert, select within the filter, take a slot of the rate,
/// open, count and audit.
extension TriggerService {
    /// Handles one webhook call. Answers the opened capture or tap, or that the rate limit held the alert back;
    /// throws 401 (no or a wrong secret or signature, a stale signature, no such trigger — all alike), 400 (no alert), 422 `no_match` (no workload of the
    /// filter), 409 (the trigger's owner, filter or target is gone), or the opening's own error (audited `trigger.failed`,
    /// counted unmatched) — each counted and audited.
    func fire(_ call: TriggerCall) async throws -> (TriggerFiring, opened: Bool) {
        guard Identifier.isIdentifier(call.triggerID), let trigger = try await store.findTrigger(call.triggerID),
              let secret = try await store.triggerSecret(id: trigger.id) else {
            // No such trigger answers as a wrong secret does (the same 401, after the same work): the webhook reveals
            // neither which ids exist nor any trigger's name.
            _ = TriggerSignature.refusal(authorization: call.authorization, signature: call.signature, body: call.body,
                                         secret: Self.decoySecret, now: call.receivedAt)
            throw Self.unauthenticated
        }
        if let refusal = TriggerSignature.refusal(authorization: call.authorization, signature: call.signature, body: call.body,
                                                  secret: secret, now: call.receivedAt) {
            await refuse(trigger, call, reason: refusal)
            throw Self.unauthenticated
        }
        let alert: TriggerAlert
        do { alert = try AlertPayload.parse(call.body) } catch {
            await refuse(trigger, call, reason: error.code.rawValue)
            throw error
        }
        logger.info("trigger webhook received", metadata: ["trigger": "\(trigger.name)", "source": "\(alert.source.rawValue)",
                                                            "alert": "\(alert.text)", "remote": "\(call.remoteAddress)"])
        guard !alert.selections.isEmpty else {
            return (TriggerFiring(trigger: trigger.name, reason: "nothing fires in this call; nothing opened", alert: alert.text), false)
        }
        let owner: Principal, filter: Filter, target: Target, candidates: [Workload]
        do {
            owner = try await self.owner(of: trigger)
            guard let found = try await store.find(trigger.spec.filter, in: .filters),
                  let to = try await store.find(trigger.spec.target, in: .targets) else {
                throw TapsterError(.invalidState, "trigger \(trigger.name)'s filter or target no longer exists; an admin must recreate it")
            }
            (filter, target) = (found, to)
            candidates = CatalogService.matches(of: filter.spec, within: .visible(to: owner),
                                                in: try await store.list(.workloads, tenants: nil)).workloads
        } catch {
            throw await failed(trigger, call, alert, error, stage: "resolve", details: [:])
        }
        let selected = alert.workloads(among: candidates)
        let names = selected.map { "\($0.host)/\($0.name)" }.sorted()
        guard !names.isEmpty else {
            let unreadable = alert.unreadable
            var details = ["candidates": String(candidates.count)]
            if !unreadable.isEmpty { details["unreadable"] = unreadable.joined(separator: "; ") }
            try await record(trigger, call, alert, .unmatched, action: AuditAction.triggerUnmatched, details: details)
            let why = unreadable.isEmpty ? "" : " — it names no address that can be read: \(unreadable.joined(separator: "; ")); "
                + "such an alert selects nothing rather than the whole filter"
            throw TapsterError(.noMatch, "the alert (\(alert.text)) points at no workload of filter \"\(filter.name)\"\(why); nothing opened "
                               + "(a trigger never captures beyond its filter)")
        }
        let rate = trigger.spec.effectiveRate
        guard let window = try await store.claimTriggerOpening(id: trigger.id, at: call.receivedAt, rate: rate) else {
            let reason = "rate \(rate): already opened \(trigger.counters.lastOpened.map { "capture \($0)" } ?? "its limit") in this window; "
                + "nothing opened, nothing extended"
            try await record(trigger, call, alert, .suppressed, action: AuditAction.triggerSuppressed,
                             details: ["rate": rate.description, "workloads": names.joined(separator: ",")])
            return (TriggerFiring(trigger: trigger.name, workloads: names, suppressed: true, reason: reason, alert: alert.text), false)
        }
        var firing = TriggerFiring(trigger: trigger.name, workloads: names, alert: alert.text)
        var missingLookBack: String?
        do {
            if target.kind == .store {
                let (view, lookBack) = try await openCapture(owner, captureRequest(trigger, alert), restrictedTo: names)
                firing.capture = view.capture.id
                missingLookBack = lookBack
                let warnings = view.warnings + (lookBack.map { [$0] } ?? [])
                firing.warnings = warnings.isEmpty ? nil : warnings
            } else {
                let view = try await taps.open(owner, filter: filter, target: target, duration: trigger.spec.duration, tenant: nil,
                                               description: description(trigger, alert), reactivating: nil)
                firing.tap = view.tap.id
                // A mirroring tap cannot be narrowed: it takes every workload of the filter, and the answer says so.
                // The tap is open by now: a failed read of what it takes must not answer the alert as unopened.
                let tapped = (try? await CatalogService.workloads(selectedBy: filter.spec, for: view.tap, in: store))?
                    .map { "\($0.host)/\($0.name)" }.sorted() ?? names
                firing.workloads = tapped
                var warnings = view.warnings
                if tapped != names {
                    warnings.append("target \"\(target.name)\" mirrors every workload of filter \"\(filter.name)\" (\(tapped.count)): a tap "
                                    + "cannot be narrowed to the \(names.count) the alert points at (\(names.joined(separator: ", ")))")
                }
                firing.warnings = warnings.isEmpty ? nil : warnings
            }
        } catch {
            try? await store.releaseTriggerOpening(id: trigger.id, windowStart: window)
            throw await failed(trigger, call, alert, error, stage: "open",
                               details: ["workloads": names.joined(separator: ","), "target": target.name, "filter": filter.name])
        }
        let opened = firing.capture ?? firing.tap ?? ""
        var details = ["workloads": (firing.workloads ?? names).joined(separator: ","), (firing.capture != nil ? "capture" : "tap"): opened]
        if firing.tap != nil, firing.workloads != names { details["alerted_workloads"] = names.joined(separator: ",") }
        if let before = trigger.spec.before, target.kind == .store {
            details["before"] = missingLookBack == nil ? before.description : "none (\(missingLookBack ?? ""))"
        }
        try await record(trigger, call, alert, .opened, action: AuditAction.triggerFired, details: details, opened: opened)
        return (firing, true)
    }

    /// What every call not authenticated by its trigger's secret is answered (401) — a wrong or missing secret or
    /// signature, a stale timestamp, or no such trigger alike; the reason is in the audit trail (`trigger.refused`).
    static let unauthenticated = TapsterError(.unauthenticated, "this call is not authenticated with the trigger's secret; send "
        + "Authorization: Bearer <secret>, or X-Tapster-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" under the "
        + "secret> with t within \(Int(TriggerSignature.tolerance / 60)) minutes of the server's clock")
    /// The secret an unknown trigger's call is checked against, so that it costs what a known one's does.
    private static let decoySecret = "tgs_" + UUID().uuidString

    /// The trigger's owner as a principal: an enabled admin still (a trigger never acts for someone who lost the right).
    private func owner(of trigger: Trigger) async throws -> Principal {
        guard let user = try await store.findUser(trigger.ownerID), user.id == trigger.ownerID, !user.disabled, user.principal.isAdmin else {
            throw TapsterError(.invalidState, "trigger \(trigger.name)'s owner \(trigger.owner) is no longer an enabled admin; "
                               + "an admin must recreate the trigger")
        }
        return user.principal
    }

    /// The stored capture a firing opens: the trigger's filter and target, duration, payload and look-back.
    private func captureRequest(_ trigger: Trigger, _ alert: TriggerAlert) -> CaptureRequest {
        var request = CaptureRequest(filter: trigger.spec.filter, target: trigger.spec.target, duration: trigger.spec.duration,
                                     store: true, description: description(trigger, alert))
        if case .headers(let snaplen) = trigger.spec.payload { request.snaplen = snaplen }
        request.before = trigger.spec.before
        return request
    }

    /// Opens the capture looking back as the trigger asks; when no recorder covers the alert's workloads for that
    /// long (`not_recorded`), opens it live all the same — the packets from now on are worth more than none —
    /// and says why it has no look-back (the second value).
    private func openCapture(_ owner: Principal, _ request: CaptureRequest, restrictedTo names: [String]) async throws -> (CaptureView, String?) {
        do {
            return (try await captures.createCapture(owner, request, restrictedTo: names), nil)
        } catch let error as TapsterError where error.code == .notRecorded && request.before != nil {
            var live = request
            live.before = nil
            return (try await captures.createCapture(owner, live, restrictedTo: names), "opened without its look-back: \(error.message)")
        }
    }

    private func description(_ trigger: Trigger, _ alert: TriggerAlert) -> String {
        String("trigger \(trigger.name): \(alert.text)".prefix(1024))
    }

    /// Counts a call and audits it (as the trigger's owner is not acting, as the system), with the alert's text.
    private func record(_ trigger: Trigger, _ call: TriggerCall, _ alert: TriggerAlert, _ outcome: TriggerOutcome, action: String,
                        details: [String: String], opened: String? = nil) async throws {
        try await store.recordTriggerCall(id: trigger.id, outcome, at: call.receivedAt, alert: alert.text, opened: opened)
        try await store.transaction { session in
            try await audit(session, .system, action, .trigger, id: trigger.id, name: trigger.name, tenant: nil,
                            details: details.merging(["alert": alert.text, "source": alert.source.rawValue, "owner": trigger.owner,
                                                      "remote_address": call.remoteAddress,
                                                      "received_at": TapsterJSON.formatTime(call.receivedAt)]) { own, _ in own })
        }
    }

    /// Counts and audits (`trigger.failed`, once) an alert that selected workloads but opened nothing because
    /// resolving the trigger (its owner, filter or target gone) or opening its capture or tap failed (target deleted,
    /// quota, capture budget, any error): the alert's text, the stage, the error's code and message. Counted as
    /// `unmatched` (the counters have no column of their own; details say `counted: unmatched`). Answers the error
    /// the engine is answered (a non-2xx `{"code","message"}`; an error that is no ``TapsterError`` as `internal`).
    private func failed(_ trigger: Trigger, _ call: TriggerCall, _ alert: TriggerAlert, _ error: any Error, stage: String,
                        details: [String: String]) async -> TapsterError {
        // As the API's error middleware does, an error that is no TapsterError is answered without its text (the
        // audit event and the log keep it).
        let failure = error as? TapsterError ?? TapsterError(.internal, "internal error; the server log has details")
        let reason = error is TapsterError ? failure.message : String(describing: error)
        logger.warning("a trigger could not open", metadata: ["trigger": "\(trigger.name)", "stage": "\(stage)", "error": "\(error)"])
        do {
            try await record(trigger, call, alert, .unmatched, action: AuditAction.triggerFailed,
                             details: details.merging(["stage": stage, "error_code": failure.code.rawValue, "error": reason,
                                                       "counted": TriggerOutcome.unmatched.rawValue]) { own, _ in own })
        } catch {
            logger.error("a trigger's failure could not be recorded", metadata: ["trigger": "\(trigger.name)", "error": "\(error)"])
        }
        return failure
    }

    /// Counts a refused call and audits it through the refusal limiter (at most one event per trigger and interval).
    private func refuse(_ trigger: Trigger, _ call: TriggerCall, reason: String) async {
        try? await store.recordTriggerCall(id: trigger.id, .refused, at: call.receivedAt, alert: nil, opened: nil)
        await refusals.auditRefusal(AuditEntry(actor: Principal.system.name, action: AuditAction.triggerRefused,
                                               objectType: ResourceKind.trigger.rawValue, objectId: trigger.id, objectName: trigger.name,
                                               tenant: nil, details: ["reason": reason, "remote_address": call.remoteAddress]),
                                    subject: "\(trigger.id)/\(reason)", source: call.remoteAddress)
    }
}
