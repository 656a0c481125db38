import Foundation
import Hummingbird
import TapsterCore

/// Answers browser paths that match no route (404) or no method (405) with an HTML page instead
/// of the API's JSON error; API paths (`/api/`, `/v2.0/`, `/healthz`, …) keep their JSON errors.
struct PortalErrorPages: RouterMiddleware {
    typealias Context = TapsterRequestContext
    let portal: Portal

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where Self.isBrowserPath(request.uri.path) {
            let visitor = try? await portal.visitor(of: request)
            return portal.errorPage(for: error, request: request, visitor: visitor)
        }
    }

    /// Paths that belong to the portal rather than to an API.
    static func isBrowserPath(_ path: String) -> Bool {
        let segment = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        return !["api", "v2.0", "healthz", "metrics"].contains(segment)
    }
}
