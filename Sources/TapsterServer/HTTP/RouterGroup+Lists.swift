import Hummingbird
import TapsterAPI
import TapsterCore

extension RouterGroup where Context == TapsterRequestContext {
    /// A paged list (`GET`, answered `{"items": […], "continue": "…"}`): the handler returns every
    /// item the principal may see — visibility is decided before paging, so a page never holds another
    /// tenant's object and counts only visible ones — and this cuts the page that `limit` and `continue`
    /// ask for (``PageRequest``). A continue token is bound to the request path it was made for.
    @discardableResult
    func list<Item: Pageable & Codable>(
        _ path: RouterPath, _ handler: @escaping @Sendable (Request, Context, Principal) async throws -> [Item]
    ) -> Self {
        endpoint(.get, path) { request, context, p in
            let list = request.uri.path
            let paging = try PageRequest(limit: request.query("limit"), continue: request.query("continue"), list: list)
            let page = try paging.page(of: try await handler(request, context, p), list: list)
            return ItemList(items: page.items, continueToken: page.next?.encoded)
        }
    }
}
