#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the next page of a list starts: the key of the last item of the page before, and the list
/// it is for — as Kubernetes' `continue`, an opaque string to hand back unchanged (base64url of JSON).
///
/// It carries a position, never a right: every page is cut from what the caller may see, so a
/// token altered by hand can at worst skip or repeat the caller's own items.
public struct ContinueToken: Sendable, Equatable {
    /// The list it belongs to (`tenants`, `users/{id}/tokens`, …); a token from another list is refused.
    public var list: String
    /// The ``PageKey/parts`` of the last item of the previous page.
    public var after: [String]

    public init(list: String, after: [String]) {
        self.list = list
        self.after = after
    }

    private struct Body: Codable {
        var v: Int
        var list: String
        var after: [String]
    }

    private static let version = 1

    /// The token as the API shows it.
    public var encoded: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(Body(v: Self.version, list: list, after: after))) ?? Data()
        return data.base64EncodedString()
            .replacing("+", with: "-").replacing("/", with: "_")
            .replacing("=", with: "")
    }

    /// Reads a token this server made for `list`; anything else is `bad_request`.
    public init(decoding text: String, list: String) throws(TapsterError) {
        let refused = TapsterError(.badRequest, "continue: not a token from a previous page of this list; list again without it", field: "continue")
        guard text.count <= 4096 else { throw refused }
        var base64 = text.replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let body = try? JSONDecoder().decode(Body.self, from: data),
              body.v == Self.version, body.list == list, !body.after.isEmpty else { throw refused }
        self.init(list: list, after: body.after)
    }
}
