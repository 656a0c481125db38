/// What a trigger's webhook answers the detection engine: the capture (or tap) it opened, or why nothing
/// opened although the call was accepted (suppressed by the rate limit). Refusals are errors instead.
public struct TriggerFiring: Codable, Sendable, Equatable {
    public var trigger: String
    /// The opened stored capture's id (its tap's too).
    public var capture: String?
    /// The opened mirroring tap's id.
    public var tap: String?
    /// The workloads it was opened on, as `host/workload`: the alert's for a stored capture, every workload of the
    /// filter for a mirroring tap (which cannot be narrowed; a warning then names the alert's).
    public var workloads: [String]?
    /// True when the rate limit held the alert back: nothing opened, nothing extended.
    public var suppressed: Bool?
    public var reason: String?
    /// The alert's text, as audited.
    public var alert: String
    /// When the capture's pre-trigger window was asked for, and the recorder could not give it.
    public var warnings: [String]?

    public init(trigger: String, capture: String? = nil, tap: String? = nil, workloads: [String]? = nil, suppressed: Bool? = nil,
                reason: String? = nil, alert: String, warnings: [String]? = nil) {
        self.trigger = trigger
        self.capture = capture
        self.tap = tap
        self.workloads = workloads
        self.suppressed = suppressed
        self.reason = reason
        self.alert = alert
        self.warnings = warnings
    }
}

extension AuditAction {
    /// An admin made a trigger (details: filter, target, duration, before, rate).
    public static let triggerCreated = "trigger.created"
    /// An admin deleted a trigger.
    public static let triggerDeleted = "trigger.deleted"
    /// An admin replaced a trigger's secret.
    public static let triggerSecretRotated = "trigger.secret_rotated"
    /// A trigger's webhook opened a capture or tap (details: alert, source, capture or tap, workloads).
    public static let triggerFired = "trigger.fired"
    /// An alert arrived inside the rate limit: nothing opened (details: alert, rate).
    public static let triggerSuppressed = "trigger.suppressed"
    /// An alert selected no workload of the trigger's filter: nothing opened (details: alert).
    public static let triggerUnmatched = "trigger.unmatched"
    /// An alert selected workloads but nothing opened: the trigger's owner, filter or target is gone, or opening its
    /// capture or tap failed (details: alert, stage, error_code, error, counted — `unmatched`, the counters having no
    /// column of their own).
    public static let triggerFailed = "trigger.failed"
    /// A call was refused: no or a wrong secret or signature, or a body that is no alert (rate-limited).
    public static let triggerRefused = "trigger.refused"
}
