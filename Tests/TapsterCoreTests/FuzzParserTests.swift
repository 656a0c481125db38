import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// The label selector and duration parsers take text from owners, admins and agents: whatever they are
/// given, they answer a value that prints back to itself or an `invalid_argument` error, and never trap.
@Suite("selector and duration parsers under fuzzing")
struct FuzzParserTests {
    /// Selector-ish characters, with the look-alikes and controls that must not slip through.
    static let selectorAlphabet: [Character] = Array("abcxyz019-_./=!(), \t") + ["in", "notin"].flatMap { Array($0) }
        + ["é", "а", "例", "\u{0}", "\u{200B}", "\n", "=", "(", ")", ",", "!", " "]

    static let selectorPieces = ["app", "tier", "example.com/app", "x", "web", "db", "=", "==", "!=", " in ", " notin ", "(", ")",
                                 ",", "!", " ", "a.b", "-x", "x-", String(repeating: "k", count: 64), "é", "а/app", "例.com/k"]

    static func selectorText(_ random: inout FuzzGenerator) -> String {
        if random.oneIn(3) { return random.string(from: selectorAlphabet, maximumLength: 40) }
        return (0..<random.index(12)).map { _ in selectorPieces[random.index(selectorPieces.count)] }.joined()
    }

    @Test("a selector is parsed to one that prints back to itself, or refused with invalid_argument")
    func selectors() throws {
        let run = FuzzRun("label selector", cases: 20_000)
        try run.forEachCase { random, fuzzCase in
            let text = Self.selectorText(&random)
            let selector: LabelSelector
            do throws(TapsterError) {
                selector = try LabelSelector(parsing: text)
            } catch {
                #expect(error.code == .invalidArgument, "\(fuzzCase): \(text.debugDescription) → \(error)")
                #expect(error.field == "selector", "\(fuzzCase): \(text.debugDescription) → \(error)")
                return
            }
            #expect((try? LabelSelector(parsing: selector.description)) == selector, "\(fuzzCase): \(text.debugDescription)")
            for requirement in selector.requirements {
                #expect(requirement.key.allSatisfy { $0.isASCII }, "\(fuzzCase): key \(requirement.key.debugDescription) of \(text.debugDescription)")
            }
            #expect(selector.description.allSatisfy { $0.isASCII && $0 != "\u{0}" && $0 != "\n" }, "\(fuzzCase): \(text.debugDescription)")
        }
    }

    static let durationAlphabet: [Character] = Array("0123456789dhms ") + ["x", "-", "+", ".", "٣", "²", "\u{0}", "D", "M"]

    @Test("a duration is parsed to 1 s … 366 d and prints back to itself, or refused with invalid_argument")
    func durations() throws {
        let run = FuzzRun("duration", cases: 20_000)
        try run.forEachCase { random, fuzzCase in
            let text: String
            if random.oneIn(2) {
                text = random.string(from: Self.durationAlphabet, maximumLength: 24)
            } else {
                let units = ["d", "h", "m", "s"]
                text = (0..<1 + random.index(4)).map { _ in
                    String(random.oneIn(4) ? UInt64.random(in: 0...UInt64.max, using: &random) : UInt64(random.index(400))) + units[random.index(4)]
                }.joined()
            }
            let duration: TapDuration
            do throws(TapsterError) {
                duration = try TapDuration(parsing: text)
            } catch {
                #expect(error.code == .invalidArgument, "\(fuzzCase): \(text.debugDescription) → \(error)")
                return
            }
            #expect((1...TapDuration.maximum.seconds).contains(duration.seconds), "\(fuzzCase): \(text.debugDescription)")
            #expect((try? TapDuration(parsing: duration.description)) == duration, "\(fuzzCase): \(text.debugDescription)")
        }
    }
}
