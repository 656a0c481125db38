#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A span of time written as tcpdump and kubectl users write it: `90s`, `15m`, `4h`, `7d`, `1h30m`.
///
/// Stored as whole seconds. Its ``description`` is the normalised form (`1h30m`), and it
/// encodes to and decodes from that string in JSON.
public struct TapDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in seconds; always positive.
    public let seconds: Int64

    public init(seconds: Int64) {
        precondition(seconds > 0, "a duration is positive")
        self.seconds = seconds
    }

    /// The largest duration accepted anywhere (one year), so that deadlines stay representable.
    public static let maximum = TapDuration(seconds: 366 * 86_400)

    /// Parses `90s`, `15m`, `4h`, `7d`, `1h30m`. A number without a unit is refused (in JSON, a
    /// bare integer is a number of seconds).
    public init(parsing text: String) throws(TapsterError) {
        let trimmed = text.trimming(.whitespaces)
        guard !trimmed.isEmpty else { throw TapDuration.syntaxError(text) }
        if trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // `--for 15` could mean seconds or minutes; a tap's length is too important to guess.
            throw TapDuration.missingUnit(trimmed)
        }
        var total: Int64 = 0
        var number: Int64? = nil
        var lastUnitRank = Int.max
        for character in trimmed {
            if let digit = character.wholeNumberValue, character.isASCII {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { throw TapDuration.tooLong(text) }
                number = s
                continue
            }
            guard let value = number, let (unit, rank) = TapDuration.unit(character), rank < lastUnitRank else {
                throw TapDuration.syntaxError(text)
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !overflow, !sumOverflow else { throw TapDuration.tooLong(text) }
            total = sum
            number = nil
            lastUnitRank = rank
        }
        guard number == nil, total > 0 else { throw TapDuration.syntaxError(text) }
        try self.init(checked: total, text)
    }

    private init(checked seconds: Int64, _ text: String) throws(TapsterError) {
        guard seconds <= TapDuration.maximum.seconds else { throw TapDuration.tooLong(text) }
        self.init(seconds: seconds)
    }

    private static func unit(_ c: Character) -> (Int64, Int)? {
        switch c {
        case "d": (86_400, 3)
        case "h": (3_600, 2)
        case "m": (60, 1)
        case "s": (1, 0)
        default: nil
        }
    }

    private static func tooLong(_ text: String) -> TapsterError {
        TapsterError(.invalidArgument, "duration \"\(text)\" is longer than the maximum of 366d")
    }

    static func missingUnit(_ text: String) -> TapsterError {
        TapsterError(.invalidArgument, "duration \"\(text)\" has no unit: write \(text)s, \(text)m or \(text)h")
    }

    private static func syntaxError(_ text: String) -> TapsterError {
        TapsterError(.invalidArgument, "invalid duration \"\(text)\": use a number with a unit, e.g. 90s, 15m, 4h, 7d or 1h30m")
    }

    public var description: String {
        var rest = seconds
        var out = ""
        for (unit, suffix) in [(Int64(86_400), "d"), (3_600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(suffix)"
            rest %= unit
        }
        return out
    }

    public static func < (a: TapDuration, b: TapDuration) -> Bool { a.seconds < b.seconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            guard number > 0, number <= TapDuration.maximum.seconds else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid duration \(number)")
            }
            self.init(seconds: number)
            return
        }
        let text = try container.decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
