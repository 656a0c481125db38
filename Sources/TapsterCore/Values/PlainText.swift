/// Text helpers that Foundation proper offers (`trimmingCharacters(in:)` with its predefined `CharacterSet`s,
/// `String(format: "%02x")`), in plain Swift. Any call into Foundation proper links CoreFoundation,
/// FoundationInternationalization, ICU's code and its 34 MB of data (`icudt76_dat`) into the executable; the code
/// `tapster-agent` links uses FoundationEssentials only (Benchmarks/README.md, "ICU out of the agent").

/// Foundation's predefined `CharacterSet`s that Tapster trims by, as predicates on Unicode scalars, with the
/// members they have on Linux (checked against Foundation over every scalar): `whitespaces` is General Category
/// Zs, U+0009 and U+200B (ZERO WIDTH SPACE, which CoreFoundation still counts); `newlines` U+000A–U+000D,
/// U+0085, U+2028 and U+2029; `whitespacesAndNewlines` both.
package enum TrimmedCharacters: Sendable {
    case whitespaces
    case newlines
    case whitespacesAndNewlines

    /// Whether `scalar` is in this set.
    package func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch self {
        case .whitespaces: Self.isWhitespace(scalar)
        case .newlines: Self.isNewline(scalar)
        case .whitespacesAndNewlines: Self.isWhitespace(scalar) || Self.isNewline(scalar)
        }
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == " " || scalar.value == 0x200B
            || (scalar.value > 0x7F && scalar.properties.generalCategory == .spaceSeparator)
    }

    private static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }
}

extension StringProtocol {
    /// This text without the leading and trailing Unicode scalars in `set`: what Foundation's
    /// `trimmingCharacters(in:)` returns for the `CharacterSet` of the same name (it, too, trims scalars, not
    /// characters).
    package func trimming(_ set: TrimmedCharacters) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !set.contains($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !set.contains($0) })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

extension Sequence<UInt8> {
    /// The bytes in lowercase hexadecimal, two digits each: what `map { String(format: "%02x", $0) }.joined()`
    /// returns.
    package var lowercaseHex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
