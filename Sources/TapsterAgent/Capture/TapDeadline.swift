/// When a tap ends on this host: at its deadline on the wall clock, or once the time it had left when the agent began
/// it has passed on the monotonic clock — whichever comes first.
///
/// Deadlines are wall-clock times (the server's, meaningful across restarts and replicas). Alone, a clock stepped back
/// (NTP, a resumed VM) would stretch a tap by the step; the monotonic bound keeps it from outliving its deadline in
/// elapsed time, cut off from the server or not. A clock stepped forward still ends it at the wall deadline (early).
struct TapDeadline: Sendable, Equatable {
    /// The deadline, nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    let wall: UInt64
    /// When the time left at the start runs out, `CLOCK_MONOTONIC` nanoseconds.
    let monotonic: UInt64

    /// The deadline `wall`, begun when the wall clock read `wallNow` and the monotonic clock `monotonicNow`.
    init(wall: UInt64, wallNow: UInt64 = WallClock.nanoseconds(), monotonicNow: UInt64 = WallClock.monotonicNanoseconds()) {
        self.wall = wall
        self.monotonic = monotonicNow &+ (wall > wallNow ? wall - wallNow : 0)
    }

    /// Nanoseconds left by the sooner of the two clocks; 0 once reached.
    func remaining(wallNow: UInt64 = WallClock.nanoseconds(), monotonicNow: UInt64 = WallClock.monotonicNanoseconds()) -> UInt64 {
        min(wall > wallNow ? wall - wallNow : 0, monotonic > monotonicNow ? monotonic - monotonicNow : 0)
    }
}
