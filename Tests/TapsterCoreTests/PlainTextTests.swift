import Foundation
import Testing
import TapsterCore

@Suite("Plain text: Foundation proper's trimming and hex, without Foundation proper")
struct PlainTextTests {
    static let sets: [(TrimmedCharacters, CharacterSet)] = [
        (.whitespaces, .whitespaces), (.newlines, .newlines), (.whitespacesAndNewlines, .whitespacesAndNewlines),
    ]

    @Test("each set holds exactly the Unicode scalars of Foundation's set of the same name")
    func sameScalarsAsFoundation() {
        for (ours, foundations) in Self.sets {
            let differing = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter { ours.contains($0) != foundations.contains($0) }
            #expect(differing.isEmpty, "\(ours): \(differing.map { String($0.value, radix: 16) })")
        }
    }

    @Test("trimming gives what trimmingCharacters(in:) gives", arguments: [
        "", "   ", " a ", "\t key = value \t", "\r\n token\r\n", "a\u{200B} ", "\u{3000}x\u{2028}", " \u{301}b \u{301}",
        "e\u{301} ", "\u{85}line\u{85}", "inner  spaces stay",
    ])
    func trimsAsFoundation(text: String) {
        for (ours, foundations) in Self.sets {
            #expect(text.trimming(ours) == text.trimmingCharacters(in: foundations), "\(ours)")
            #expect(text.dropFirst(0).trimming(ours) == text.trimmingCharacters(in: foundations), "\(ours), a Substring")
        }
    }

    @Test("lowercaseHex is String(format: \"%02x\") of each byte, joined")
    func hexAsFormat() {
        let bytes: [UInt8] = Array(0...255) + [0, 15, 16, 255]
        #expect(bytes.lowercaseHex == bytes.map { String(format: "%02x", $0) }.joined())
        #expect([UInt8]().lowercaseHex == "")
    }

    /// Texts with a combining mark next to what the replacements look for: the quote FlowMap escaped, the
    /// separators LabelSelector and HTTPPathTemplate find.
    static let combined = ["\"\u{301}", "a≠b", "a=\u{338}b", "://\u{301}"]

    @Test("replacing(_:with:) gives what replacingOccurrences(of:with:) gives next to combining marks", arguments: combined)
    func replacesAsFoundation(text: String) {
        // FlowMap's quote and backslash, ContinueToken's and Base64URL's base64url alphabet and padding.
        for (target, replacement) in [("\\", "\\\\"), ("\"", "\\\""), ("+", "-"), ("/", "_"), ("=", ""), ("-", "+"), ("_", "/")] {
            #expect(Array(text.replacing(target, with: replacement).unicodeScalars)
                == Array(text.replacingOccurrences(of: target, with: replacement).unicodeScalars), "\(target)")
        }
    }

    @Test("firstRange(of:) finds what range(of:) finds next to combining marks", arguments: combined)
    func findsAsFoundation(text: String) {
        // HTTPPathTemplate's scheme separator, LabelSelector's operators.
        for separator in ["://", "!=", "==", "="] {
            #expect(text.firstRange(of: separator) == text.range(of: separator), "\(separator)")
        }
    }
}
