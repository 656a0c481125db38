import Foundation

/// The two date formats S3 answers with.
enum HTTPDate {
    /// An ISO 8601 time as in listings, `2026-05-01T12:34:56.000Z` (fractional seconds optional).
    static func iso8601(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(text, strategy: .iso8601)
    }

    /// An RFC 7231 date as in `Last-Modified` and `Date`, `Fri, 01 May 2026 12:34:56 GMT`.
    static func rfc7231(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
