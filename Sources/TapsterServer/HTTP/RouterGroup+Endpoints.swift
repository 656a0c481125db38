import Foundation
import Hummingbird
import TapsterCore

extension RouterGroup where Context == TapsterRequestContext {
    /// An authenticated JSON endpoint: the handler gets the caller's principal and returns what is encoded.
    @discardableResult
    func endpoint<Output: Encodable & Sendable>(
        _ method: HTTPRequest.Method, _ path: RouterPath, status: HTTPResponse.Status = .ok,
        _ handler: @escaping @Sendable (Request, Context, Principal) async throws -> Output
    ) -> Self {
        on(path, method: method) { request, context in
            let principal = try context.requirePrincipal()
            return try JSONCoding.response(try await handler(request, context, principal), status: status)
        }
    }

    /// An authenticated endpoint answering `204 No Content`.
    @discardableResult
    func noContent(
        _ method: HTTPRequest.Method, _ path: RouterPath,
        _ handler: @escaping @Sendable (Request, Context, Principal) async throws -> Void
    ) -> Self {
        on(path, method: method) { request, context in
            let principal = try context.requirePrincipal()
            try await handler(request, context, principal)
            return Response(status: .noContent)
        }
    }
}

extension TapsterRequestContext {
    /// A path parameter that the route pattern guarantees, percent-decoded (the client escapes every reference:
    /// a namespace mapping's pattern `shop-*` arrives as `shop-%2A`).
    func parameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}

extension Request {
    /// Decodes the JSON body as `T` (``JSONCoding``).
    func json<T: Decodable>(_ type: T.Type, context: TapsterRequestContext) async throws -> T {
        try await JSONCoding.decode(type, from: self, context: context)
    }

    /// A query parameter (its first occurrence), if present and non-empty. Decoded as HTML forms and
    /// URL libraries encode it: `+` is a space (`tier+in+(a,b)`), `%2B` a plus.
    func query(_ name: String) -> String? {
        guard let raw = uri.query else { return nil }
        for pair in raw.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name else { continue }
            let value = parts.count > 1 ? Self.formDecoded(parts[1]) : ""
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// A time query parameter (`since`, `until`): an ISO 8601 time, or a duration ago such as `1h`; nil when
    /// absent, 400 naming the parameter when it is neither.
    func timeQuery(_ name: String, now: Date) throws(TapsterError) -> Date? {
        guard let text = query(name) else { return nil }
        if let date = TapsterJSON.parseTime(text) { return date }
        guard let ago = try? TapDuration(parsing: text) else {
            throw TapsterError(.badRequest, "\(name): \"\(text)\" is neither an ISO 8601 time nor a duration such as 1h")
        }
        return now.addingTimeInterval(-TimeInterval(ago.seconds))
    }

    private static func formDecoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
