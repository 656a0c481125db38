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
    let identity: IdentityService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A trigger's webhook authenticates by the trigger's secret (``TriggerRoutes``), not a user's token.
        guard !TriggerRoutes.isWebhook(request), let secret = Self.token(in: request) else { return try await next(request, context) }
        let authentication = try await identity.authenticate(token: secret, source: context.remoteAddress)
        if authentication.passwordChangeOnly, !Self.changesOwnPassword(request, authentication.user) {
            throw TapsterError(.passwordChangeRequired,
                               "\(authentication.user.name)'s password is one-time: this session may only change it "
                               + "(PATCH /api/v1/users/\(authentication.user.name) with password and current_password)")
        }
        var context = context
        context.principal = authentication.principal
        return try await next(request, context)
    }

    /// The one request a session opened with a one-time password may make: `PATCH /api/v1/users/{self}`
    /// (``IdentityService/updateUser(_:_:_:keepingSession:)`` then accepts nothing but the password).
    static func changesOwnPassword(_ request: Request, _ user: User) -> Bool {
        guard request.method == .patch else { return false }
        let path = request.uri.path
        let prefix = "/api/v1/users/"
        guard path.hasPrefix(prefix) else { return false }
        let reference = path.dropFirst(prefix.count).removingPercentEncoding
        return reference == user.id || reference == user.name
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
