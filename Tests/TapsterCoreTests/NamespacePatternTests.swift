import Testing
import TapsterCore

/// A namespace mapping's pattern: a Kubernetes namespace name or a `*` glob, and which of several
/// matching patterns decides (``NamespacePattern``).
@Suite struct NamespacePatternTests {
    static func pattern(_ text: String) -> NamespacePattern {
        do { return try NamespacePattern(text) } catch { fatalError("fixture pattern \(text): \(error)") }
    }

    @Test(arguments: [("shop", "shop", true), ("shop", "shop-a", false), ("shop-*", "shop-a", true), ("shop-*", "shop-", true),
                      ("shop-*", "shop", false), ("*-prod", "web-prod", true), ("*-prod", "web-prod-2", false),
                      ("a*b*c", "abc", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "acb", false), ("*", "anything", true),
                      ("a*a", "a", false), ("a*a", "aa", true)])
    func aPatternMatchesAsAGlobWhereStarIsAnyRun(pattern: String, namespace: String, matches: Bool) {
        #expect(Self.pattern(pattern).matches(namespace) == matches)
    }

    @Test func anExactNameDecidesOverEveryGlob() {
        #expect(Self.pattern("shop-a").isMoreSpecific(than: Self.pattern("shop-a*")))
        #expect(!Self.pattern("shop-*").isMoreSpecific(than: Self.pattern("shop-a")))
    }

    @Test func amongGlobsTheLongestDecidesThenFewerStarsThenByteOrder() {
        #expect(Self.pattern("shop-a*").isMoreSpecific(than: Self.pattern("shop-*")))
        #expect(Self.pattern("shop-*").isMoreSpecific(than: Self.pattern("*")))
        #expect(Self.pattern("ab-*").isMoreSpecific(than: Self.pattern("a*-*")))
        #expect(Self.pattern("a-*").isMoreSpecific(than: Self.pattern("b-*")))
        #expect(!Self.pattern("b-*").isMoreSpecific(than: Self.pattern("a-*")))
    }

    @Test(arguments: ["", "Shop", "shop_a", "-shop", "shop-", "shop**", "shop a", String(repeating: "a", count: 64), "shop/*"])
    func anInvalidPatternIsRefusedNamingTheField(text: String) {
        #expect(throws: TapsterError.self) { try NamespacePattern(text) }
        do { _ = try NamespacePattern(text) } catch {
            #expect(error.code == .invalidArgument && error.field == "pattern")
        }
    }

    @Test(arguments: ["*", "shop-*", "*-", "-*", "a*b*c", "shop"])
    func globsMayStartOrEndWithAnyCharacterOfAName(text: String) throws {
        #expect(try NamespacePattern(text).text == text)
    }
}
