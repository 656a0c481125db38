import Foundation
import TapsterCore

/// Where triggers are kept: the trigger, its secret apart from it, and its counters and rate window, which
/// the webhook changes with single conditional statements so that replicas sharing the database agree.
public protocol TriggerStoreSession: Sendable {
    /// Inserts a trigger with its secret; a taken name is `already_exists`.
    func insertTrigger(_ trigger: Trigger, secret: String) async throws
    /// A trigger by id or name (an id match wins), with its counters.
    func findTrigger(_ reference: String) async throws -> Trigger?
    /// Every trigger, by name.
    func listTriggers() async throws -> [Trigger]
    @discardableResult
    func deleteTrigger(id: String) async throws -> Bool
    /// The secret of trigger `id`, for checking a webhook call.
    func triggerSecret(id: String) async throws -> String?
    /// Replaces trigger `id`'s secret.
    @discardableResult
    func setTriggerSecret(id: String, secret: String, at time: Date) async throws -> Bool
    /// Takes one opening of trigger `id`'s rate at `time`, if its window has one left (a window starts with
    /// the first opening after the last one ended). One statement: two replicas never both take the last.
    /// Returns when the window it counted in began, or nil when the rate is spent.
    func claimTriggerOpening(id: String, at time: Date, rate: TriggerRate) async throws -> Date?
    /// Gives back an opening taken in the window that began at `windowStart`, when nothing could be opened.
    func releaseTriggerOpening(id: String, windowStart: Date) async throws
    /// Counts one call of trigger `id`: its outcome, and (but for refusals) when it came, what it said and what it opened.
    func recordTriggerCall(id: String, _ outcome: TriggerOutcome, at time: Date, alert: String?, opened: String?) async throws
}
