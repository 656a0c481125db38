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

    /// `date` in nanoseconds since the Unix epoch, the unit of capture timestamps (0 before it, the largest value
    /// beyond the year 2540).
    static func nanoseconds(of date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        guard seconds > 0 else { return 0 }
        guard seconds < 18_000_000_000 else { return .max }
        return UInt64((seconds * 1_000_000_000).rounded())
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
