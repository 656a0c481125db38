import Foundation
import TapsterCore

/// The wire's clock unit: absolute times travel as nanoseconds since the Unix epoch.
enum WireTime {
    /// Nanoseconds since the epoch, at the millisecond the server's store keeps (as every server has sent them).
    static func unixNanos(_ date: Date) -> Int64 {
        date.millisecondsSince1970 * 1_000_000
    }

    /// The date `nanos` after the epoch.
    static func date(unixNanos nanos: Int64) -> Date {
        Date(timeIntervalSince1970: Double(nanos) / 1_000_000_000)
    }
}
