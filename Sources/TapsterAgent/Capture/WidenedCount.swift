/// A count the kernel or libpcap reports in 32 bits — a `gnet_stats_queue`'s drops and overlimits (a police action's
/// packets over its rate, a redirect's failed sends, a hook's drops), libpcap's `ps_drop` and `ps_ifdrop` — widened to
/// 64, so that a long tap's counters never fall back.
///
/// Each reading adds how far the count moved since the last one, modulo 2³². So readings are taken in order (one reader
/// at a time: the capture loop's thread, or a kernel mirror's reading lock) and less than 2³² counts apart (the capture
/// loop reads every second, a kernel mirror every 10 s at least — 429 million counts a second would be needed).
struct WidenedCount: Sendable, Equatable {
    /// The count so far, in 64 bits.
    private(set) var value: UInt64 = 0
    /// The 32 bits of the last reading taken; the count starts at zero with the action, qdisc or capture.
    private var last: UInt32 = 0

    init() {}

    /// Takes `reading` (the kernel's count; only its low 32 bits are the kernel's) and returns the widened count.
    @discardableResult
    mutating func update(_ reading: UInt64) -> UInt64 {
        let now = UInt32(truncatingIfNeeded: reading)
        value &+= UInt64(now &- last)
        last = now
        return value
    }
}
