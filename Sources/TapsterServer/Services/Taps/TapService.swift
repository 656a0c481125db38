import TapsterCore

/// Taps once they are asked for: admission (grant, duration, quota, tenant) and insertion, reads, stops,
/// re-activation, expiry at the deadline, four-eyes approval, and the stop of taps their owner may no longer hold. Every change
/// goes out on the change feed (a capture's session ends there, in the broker). (Turning a request into a
/// tap or a stored capture is ``TapCreation``'s.)
public struct TapService: ContextualService {
    let context: ServiceContext
    /// Serialises tap admissions in this process, so two concurrent requests by one owner cannot both pass
    /// the quota check (the Neutron API's tap flows pass through it too).
    let admissions: AsyncSemaphore
    /// How long a tap waiting for approval waits before it expires unanswered (`tapster serve --approval-timeout`).
    var approvalTimeout: TapDuration = ApprovalPolicy.defaultTimeout
}
