/// What became of one call to a trigger's webhook, as its counters count it.
public enum TriggerOutcome: String, Sendable, CaseIterable {
    /// A capture or tap opened.
    case opened
    /// Inside the rate limit: nothing opened, nothing extended.
    case suppressed
    /// The alert selected no workload of the filter.
    case unmatched
    /// No or a wrong secret or signature, or a body that is no alert.
    case refused
}
