import Logging
import TapsterCore
import TapsterStore

/// Audits refusals anyone can provoke (a refused enrolment, report or download link) through one
/// ``RefusalAuditLimiter``, shared by every service that refuses.
public struct RefusalAuditor: ContextualService {
    let context: ServiceContext
    /// Bounds how often refusals are audited, counting the rest.
    let limiter: RefusalAuditLimiter

    /// Audits a refusal anyone can provoke (a refused enrolment, a refused download link) through
    /// ``RefusalAuditLimiter``: at most one event per `subject` and interval and a bounded number per action,
    /// the rest counted with their `source` (an address). In its own transaction; a failure to record it is
    /// logged, never hides the refusal.
    func auditRefusal(_ entry: AuditEntry, subject: String, source: String?) async {
        guard let admitted = limiter.admit(entry, subject: subject, source: source) else { return }
        await appendRefusal(admitted)
    }

    /// Records the repeat counts that no later refusal reported (the refusals stopped), one event per key
    /// with the count in `suppressed_repeats`; the expiry scheduler calls it every purge interval.
    public func auditOverdueRefusals() async {
        for entry in limiter.overdue() { await appendRefusal(entry) }
    }

    private func appendRefusal(_ entry: AuditEntry) async {
        do {
            try await store.transaction { session in _ = try await session.appendAudit(entry, at: now) }
        } catch {
            logger.error("recording a refusal failed", metadata: ["action": "\(entry.action)", "object": "\(entry.objectName ?? entry.objectId ?? "")",
                                                                 "error": "\(error)"])
        }
    }
}
