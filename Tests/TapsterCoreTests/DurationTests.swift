import Foundation
import Testing
import TapsterCore

@Suite("TapDuration")
struct DurationTests {
    static func syntaxError(_ text: String) -> TapsterError {
        TapsterError(.invalidArgument, "invalid duration \"\(text)\": use a number with a unit, e.g. 90s, 15m, 4h, 7d or 1h30m")
    }

    static func tooLong(_ text: String) -> TapsterError {
        TapsterError(.invalidArgument, "duration \"\(text)\" is longer than the maximum of 366d")
    }

    @Test("parses a number with units into whole seconds", arguments: [
        ("90s", 90), ("15m", 900), ("4h", 14_400), ("7d", 604_800), ("1h30m", 5_400),
        ("1d2h3m4s", 93_784), ("2d30s", 172_830), ("1s", 1), ("366d", 31_622_400),
    ] as [(String, Int64)])
    func parsesUnits(text: String, seconds: Int64) throws {
        #expect(try TapDuration(parsing: text).seconds == seconds)
    }

    @Test("refuses a number without a unit rather than guess seconds or minutes", arguments: ["1", "15", "0", "00", "99999999999999999999"])
    func refusesNumberWithoutUnit(text: String) {
        #expect(throws: TapsterError(.invalidArgument, "duration \"\(text)\" has no unit: write \(text)s, \(text)m or \(text)h")) {
            try TapDuration(parsing: text)
        }
    }

    @Test("ignores surrounding spaces")
    func ignoresSurroundingSpaces() throws {
        #expect(try TapDuration(parsing: " 15m ").seconds == 900)
    }

    @Test("rejects text that is not a positive duration, naming it in the message", arguments: [
        "0s", "0h0m", "-5m", "-5", "+5", "+5m", "5x", "m5", "h", "5m3", "1.5h", "1h 30m", "", "   ", "5M", "٣s",
    ])
    func rejectsSyntax(text: String) {
        #expect(throws: Self.syntaxError(text)) { try TapDuration(parsing: text) }
    }

    @Test("rejects units out of order or repeated", arguments: ["1m1h", "30s1m", "1h1d", "1h1h", "5m5m"])
    func rejectsUnitsOutOfOrder(text: String) {
        #expect(throws: Self.syntaxError(text)) { try TapDuration(parsing: text) }
    }

    @Test("rejects durations longer than 366 days", arguments: ["367d", "366d1s", "31622401s", "8785h", "9000d"])
    func rejectsLongerThanMaximum(text: String) {
        #expect(throws: Self.tooLong(text)) { try TapDuration(parsing: text) }
    }

    @Test("rejects numbers that overflow 64 bits as too long, without trapping", arguments: [
        "99999999999999999999s",       // the digits overflow
        "9999999999999999d",           // number × unit overflows
        "106751991167300d99999h",      // the sum of the parts overflows
    ])
    func rejectsOverflow(text: String) {
        #expect(throws: Self.tooLong(text)) { try TapDuration(parsing: text) }
    }

    @Test("the maximum is 366 days")
    func maximumIs366Days() {
        #expect(TapDuration.maximum.seconds == 366 * 86_400)
        #expect(TapDuration.maximum.description == "366d")
    }

    @Test("describes itself in normalised form, largest unit first, zero parts left out", arguments: [
        ("90m", "1h30m"), ("90s", "1m30s"), ("3600s", "1h"), ("86400s", "1d"), ("90061s", "1d1h1m1s"),
        ("1d30s", "1d30s"), ("120s", "2m"), ("48h", "2d"), ("7d", "7d"), ("1s", "1s"),
    ])
    func normalisedDescription(text: String, description: String) throws {
        #expect(try TapDuration(parsing: text).description == description)
    }

    @Test("its description parses back to the same duration", arguments: [1, 59, 61, 3_599, 3_601, 86_399, 90_061, 31_622_400] as [Int64])
    func descriptionRoundTrips(seconds: Int64) throws {
        let duration = TapDuration(seconds: seconds)
        #expect(try TapDuration(parsing: duration.description) == duration)
    }

    @Test("orders by length")
    func ordersByLength() {
        #expect(Fixture.duration("15m") < Fixture.duration("1h"))
        #expect(Fixture.duration("1h") == Fixture.duration("60m"))
        #expect([Fixture.duration("4h"), Fixture.duration("90s"), Fixture.duration("1d")].max() == Fixture.duration("1d"))
    }

    @Test("encodes to JSON as its normalised string")
    func encodesAsString() throws {
        let data = try TapsterJSON.encoder().encode([Fixture.duration("90m")])
        #expect(String(decoding: data, as: UTF8.self) == #"["1h30m"]"#)
    }

    @Test("decodes from a JSON string or a JSON number of seconds")
    func decodesFromStringOrNumber() throws {
        let decoded = try TapsterJSON.decoder().decode([TapDuration].self, from: Data(#"["1h30m", 90]"#.utf8))
        #expect(decoded == [TapDuration(seconds: 5_400), TapDuration(seconds: 90)])
    }

    @Test("refuses to decode invalid durations", arguments: [#"["5x"]"#, "[0]", "[-5]", "[31622401]", #"["367d"]"#, "[true]"])
    func refusesInvalidJSON(json: String) {
        #expect(throws: DecodingError.self) { try TapsterJSON.decoder().decode([TapDuration].self, from: Data(json.utf8)) }
    }

    @Test("its errors are invalid_argument without a field: the caller knows which field it parsed")
    func errorShape() throws {
        let error = try #require(throws: TapsterError.self) { try TapDuration(parsing: "5x") }
        #expect(error.code == .invalidArgument)
        #expect(error.field == nil)
    }
}
