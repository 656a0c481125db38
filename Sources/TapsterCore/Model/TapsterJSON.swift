import Foundation

/// The one JSON dialect of the API: snake_case keys, ISO 8601 times with milliseconds, sorted keys.
public enum TapsterJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = SnakeCaseKeys.decodingStrategy
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an ISO 8601 time")
            }
            return date
        }
        return decoder
    }

    /// `2026-11-23T18:50:31.123Z`, rounded to the nearest millisecond.
    ///
    /// The milliseconds are written by hand: Foundation's format style truncates the binary
    /// fraction, so `.123` could come out as `.122`.
    public static func formatTime(_ date: Date) -> String {
        let milliseconds = date.millisecondsSince1970
        let fraction = ((milliseconds % 1000) + 1000) % 1000
        let whole = Date(timeIntervalSince1970: TimeInterval((milliseconds - fraction) / 1000))
        let digits = String(fraction)
        return whole.formatted(Date.ISO8601FormatStyle()).dropLast() + "."
            + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Parses ISO 8601 with or without fractional seconds, to millisecond resolution (the
    /// resolution times are stored and hashed at), so that a formatted time parses back equal.
    public static func parseTime(_ text: String) -> Date? {
        // The form this API writes, read without Foundation's general parser (``UTCTimeText``).
        if let milliseconds = UTCTimeText.milliseconds(text) { return Date(millisecondsSince1970: milliseconds) }
        guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        return Date(millisecondsSince1970: date.millisecondsSince1970)
    }
}
