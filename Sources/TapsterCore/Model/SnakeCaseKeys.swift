import Foundation

/// The API's snake_case keys read as the camelCase names of Swift properties: Foundation's
/// `convertFromSnakeCase` rule, without its cost.
///
/// Foundation converts every key of every object it decodes, walking it by `Character` and splitting it
/// into an array even when it has no underscore: a third of the time to decode a stored workload, and
/// the largest part of a restarted server's CPU while its agents reconnect (Benchmarks/README.md,
/// "Decoding without Foundation's key conversion and date parser"). This gives the same names — leading and trailing
/// underscores kept, the words between them joined, the first lower-cased and each later one
/// capitalised, a key with one word unchanged — and costs one scan for a key without an underscore,
/// which most keys are.
public enum SnakeCaseKeys {
    /// The key strategy of ``TapsterJSON/decoder()``.
    public static let decodingStrategy = JSONDecoder.KeyDecodingStrategy.custom { path in
        guard let key = path.last else { return ConvertedKey(stringValue: "") }
        guard let converted = converted(key.stringValue) else { return key }
        return ConvertedKey(stringValue: converted)
    }

    /// `key` in camelCase, as Foundation's `convertFromSnakeCase` converts it.
    public static func camelCased(_ key: String) -> String {
        converted(key) ?? key
    }

    /// `key` converted, or nil when the conversion leaves it as it is.
    static func converted(_ key: String) -> String? {
        let bytes = key.utf8
        guard bytes.contains(underscore) else { return nil }
        guard bytes.allSatisfy(isSimple) else { return convertedByCharacter(key) }
        // Simple bytes are whole characters: the words can be found byte by byte.
        guard let first = bytes.firstIndex(where: { $0 != underscore }),
              let last = bytes.lastIndex(where: { $0 != underscore }),
              bytes[first...last].contains(underscore) else { return nil }  // `_private` and `trailing_` stay
        return String(key[..<first]) + joinedSimple(bytes[first...last]) + key[bytes.index(after: last)...]
    }

    /// Any other key, by `Character` as Foundation reads it: an underscore followed by a combining mark
    /// (or after a prepended mark) is part of another character, not a separator.
    private static func convertedByCharacter(_ key: String) -> String? {
        guard let first = key.firstIndex(where: { $0 != "_" }) else { return nil }
        var last = key.index(before: key.endIndex)
        while last > first && key[last] == "_" { key.formIndex(before: &last) }
        let words = key[first...last].split(separator: "_")
        guard words.count > 1 else { return nil }
        return String(key[..<first]) + words[0].lowercased() + words.dropFirst().map(\.capitalized).joined()
            + key[key.index(after: last)...]
    }

    private static let underscore = UInt8(ascii: "_")

    /// Lower-case ASCII letters, digits and underscores: the keys the API and the store write.
    private static func isSimple(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == underscore
    }

    /// The words of `inner` (simple bytes, no leading or trailing underscore) joined: a letter that begins a
    /// word after the first, or follows a digit there, is upper-cased — `capitalized` on such a word.
    private static func joinedSimple(_ inner: Substring.UTF8View) -> String {
        var result = [UInt8]()
        result.reserveCapacity(inner.count)
        var inFirstWord = true, afterLetter = false
        for byte in inner {
            if byte == underscore {
                inFirstWord = false
                afterLetter = false
                continue
            }
            let isLetter = byte >= UInt8(ascii: "a")
            result.append(isLetter && !inFirstWord && !afterLetter ? byte - 32 : byte)
            afterLetter = isLetter
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// A key the strategy converted.
    struct ConvertedKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
