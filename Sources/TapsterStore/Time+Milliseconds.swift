import Foundation

/// Times are stored as BIGINT milliseconds since 1970 — the resolution the audit chain hashes.
extension Date {
    /// Milliseconds since 1970, rounded to the nearest.
    var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}
