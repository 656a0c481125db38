import Testing
@testable import TapsterCore

/// The flow map in Graphviz's DOT language: every node id and label is one quoted string, whatever its text.
@Suite("Flow map in DOT")
struct FlowMapDOTTests {
    @Test("a quote or backslash that a combining mark or zero-width joiner joins is escaped, and the id stays one quoted string",
          arguments: [
              // The id, and its quoted form: `"app=\"` U+0301 `"`, and `"app=\\` U+200D `"`.
              ("app=\"\u{301}", "\"app=\\\"\u{301}\""),
              ("app=\\\u{200D}", "\"app=\\\\\u{200D}\""),
          ])
    func joinedQuoteOrBackslashEscaped(id: String, quoted: String) throws {
        var map = FlowMap([], groupBy: "app")
        map.nodes = [FlowMap.Node(id: id, kind: .group)]

        let line = try #require(map.dot.split(separator: "\n").first { $0.hasPrefix("  \"app=") })
        #expect(Array(line.unicodeScalars) == Array("  \(quoted) [label=\(quoted)];".unicodeScalars))
        #expect(Self.quotedStrings(in: String(line)).map { Array($0.unicodeScalars) } == [Array(id.unicodeScalars), Array(id.unicodeScalars)])
    }

    /// The quoted strings of a DOT statement as Graphviz's lexer reads them, by Unicode scalar: each from a `"` to the
    /// next `"` no backslash escapes, a backslash taking the scalar after it as it is.
    static func quotedStrings(in statement: String) -> [String] {
        var strings: [String] = []
        var current: String.UnicodeScalarView?
        var escaped = false
        for scalar in statement.unicodeScalars {
            guard var text = current else {
                if scalar == "\"" { current = String.UnicodeScalarView() }
                continue
            }
            if escaped {
                text.append(scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                strings.append(String(text))
                current = nil
                continue
            } else {
                text.append(scalar)
            }
            current = text
        }
        return strings
    }
}
