import Hummingbird
import TapsterCore

/// Neutron's version document, `{"versions": [{"id": "v2.0", "status": "CURRENT", "links": […]}]}`,
/// which OpenStack clients fetch (without a token) before anything else.
struct NeutronVersions: Encodable {
    struct Version: Encodable {
        let id: String
        let status: String
        let links: [Link]
    }

    struct Link: Encodable {
        let href: String
        let rel: String
    }

    let versions: [Version]

    /// The document for a request, linking to `/v2.0/` on the host the client used.
    init(for request: Request) {
        let host = request.head.authority ?? "localhost"
        versions = [Version(id: "v2.0", status: "CURRENT", links: [Link(href: "http://\(host)/v2.0/", rel: "self")])]
    }
}

/// Answers `GET /` with ``NeutronVersions`` unless a browser asks (its `Accept` names `text/html`),
/// in which case the portal's home page answers. A middleware rather than a route, because the
/// portal owns the route `/`; it must be added to the router before the portal's routes.
struct NeutronVersionDiscovery: RouterMiddleware {
    typealias Context = TapsterRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/", !(request.headers[.accept] ?? "").contains("text/html") else {
            return try await next(request, context)
        }
        return try NeutronJSON.response(NeutronVersions(for: request))
    }
}
