import CPcap
import Glibc
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Clock reads for the capture loop: no Foundation objects, one `clock_gettime` each.
enum WallClock {
    /// Nanoseconds since the Unix epoch (`CLOCK_REALTIME`), the clock of capture timestamps and deadlines.
    static func nanoseconds() -> UInt64 {
        read(CLOCK_REALTIME)
    }

    /// Nanoseconds of `CLOCK_MONOTONIC`, for intervals.
    static func monotonicNanoseconds() -> UInt64 {
        read(CLOCK_MONOTONIC)
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
