import Foundation

/// Times are kept at millisecond resolution: the store keeps BIGINT milliseconds since 1970, the audit chain hashes
/// them, the API writes them and the wire sends them so. One rounding, so that a time and every figure derived from it
/// agree wherever they are read.
extension Date {
    /// Milliseconds since 1970, rounded to the nearest.
    public var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    /// The time `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}
