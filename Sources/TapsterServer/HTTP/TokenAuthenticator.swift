import Foundation
import HTTPTypes
import Hummingbird
import TapsterCore

/// Resolves `Authorization: Bearer <token>` (or Neutron's `X-Auth-Token`) to a ``Principal``.
///
/// A request without a token passes through unauthenticated (routes that need one say so);
/// a request with an invalid or expired token is refused at once.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = TapsterRequestContext
    let controlPlane: ControlPlane

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let secret = Self.token(in: request) else { return try await next(request, context) }
        var context = context
        context.principal = try await controlPlane.authenticate(token: secret).0
        return try await next(request, context)
    }

    static func token(in request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        if let name = HTTPField.Name("X-Auth-Token"), let token = request.headers[name] { return token }
        return nil
    }
}
