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
    /// A path parameter that the route pattern guarantees.
    func parameter(_ name: String) throws -> String {
        try parameters.require(name)
    }
}

extension Request {
    /// Decodes the JSON body as `T` (``JSONCoding``).
    func json<T: Decodable>(_ type: T.Type, context: TapsterRequestContext) async throws -> T {
        try await JSONCoding.decode(type, from: self, context: context)
    }

    /// A query parameter, if present and non-empty.
    func query(_ name: String) -> String? {
        uri.queryParameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
    }
}
