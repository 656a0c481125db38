import Foundation
import Testing
import TapsterCore
import TapsterSystemTestSupport

@Suite("Snake case keys: Foundation's convertFromSnakeCase names, converted by hand")
struct SnakeCaseKeysTests {
    /// Every key of an object, as a decoder with `strategy` names them.
    struct KeyNames: Decodable {
        var names: [String]
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: any Decoder) throws {
            names = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        }
    }

    /// The name Foundation's own strategy gives `key`.
    static func foundationName(_ key: String) throws -> String {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let object = try JSONSerialization.data(withJSONObject: [key: 1])
        return try #require(try decoder.decode(KeyNames.self, from: object).names.first)
    }

    @Test("the API's keys read as their properties' names", arguments: [
        ("reported_by", "reportedBy"), ("tenant_since", "tenantSince"), ("created_at", "createdAt"), ("name", "name"),
        ("stored_bytes_quota", "storedBytesQuota"), ("ip_v4x", "ipV4X"), ("a__b", "aB"), ("_private", "_private"),
        ("trailing_", "trailing_"), ("__two_words__", "__twoWords__"), ("___", "___"), ("", ""),
        // An underscore that a combining mark joins, or that follows a prepended mark, is no separator.
        ("A_\u{301}B", "A_\u{301}B"), ("X_\u{200D}Y", "X_\u{200D}Y"), ("a_b\u{600}_", "aB\u{600}_"),
    ])
    func apiKeys(key: String, name: String) throws {
        #expect(SnakeCaseKeys.camelCased(key) == name)
        #expect(try Self.foundationName(key) == name)
    }

    @Test("any key gets the name Foundation's strategy gives it (10,000 random keys, seed 0x5eed)")
    func sameAsFoundation() throws {
        var generator = FuzzGenerator(seed: 0x5eed)
        print("SnakeCaseKeysTests.sameAsFoundation: seed 0x5eed")
        let alphabet = Array("abcxyz_ABCZ019_é.'-ǅ") + ["\u{301}", "\u{200D}", "\u{FE0F}", "\u{600}", "\u{903}", "\u{212A}"]
        for _ in 0..<10_000 {
            let key = generator.string(from: alphabet, maximumLength: 9)
            #expect(SnakeCaseKeys.camelCased(key) == (try Self.foundationName(key)), "\(key)")
        }
    }

    @Test("a decoder with the strategy reads snake_case keys into camelCase properties")
    func decoderUsesIt() throws {
        let names = try TapsterJSON.decoder().decode(KeyNames.self, from: Data(#"{"reported_by":1,"kind":2,"Mixed_Case":3}"#.utf8)).names
        #expect(Set(names) == ["reportedBy", "kind", "mixedCase"])
    }
}
