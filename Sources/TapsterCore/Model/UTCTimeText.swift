/// The form ``TapsterJSON/formatTime(_:)`` writes — `2026-11-23T18:50:31.123Z`, or without the
/// milliseconds — read by hand.
///
/// Every record carries two or three times, and Foundation's ISO 8601 parser (which reads every form
/// ISO 8601 allows) was a twentieth of a restarted server's CPU while its agents reconnected. Any other
/// form, any value out of range, and any year before 1900 (where calendars may part from the proleptic
/// Gregorian arithmetic used here) is left to that parser: this only answers what it would answer.
enum UTCTimeText {
    /// The milliseconds since 1970 that `text` names, or nil when it is not in this exact form.
    static func milliseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            guard bytes.count == 20 || bytes.count == 24, bytes[bytes.count - 1] == UInt8(ascii: "Z") else { return nil }
            guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
                  let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
                  let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
                  (1900...9999).contains(year), (1...12).contains(month), (1...daysIn(month, of: year)).contains(day),
                  hour < 24, minute < 60, second < 60 else { return nil }
            var fraction: Int64 = 0
            if bytes.count == 24 {
                guard bytes[19] == UInt8(ascii: "."), let milliseconds = number(bytes, 20, 3) else { return nil }
                fraction = milliseconds
            }
            let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
            return seconds * 1_000 + fraction
        }
    }

    /// The decimal number in `count` bytes from `start`, nil if one is not a digit.
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for byte in bytes[start..<(start + count)] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (the civil-from-days
    /// arithmetic: years begin in March, so that the leap day is a year's last).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
