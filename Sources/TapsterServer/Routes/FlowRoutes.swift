import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// `/flows`, `/flows/map`, `/apis` and `/apis/openapi`: what `flows` taps summarised, as the caller may see it.
struct FlowRoutes {
    let flows: FlowService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.endpoint(.get, "flows") { request, _, p in
            ItemList(items: try await flows.flows(p, try Self.selection(request, now: flows.now)))
        }
        api.endpoint(.get, "flows/map") { request, _, p in
            try await flows.map(p, try Self.selection(request, now: flows.now), groupBy: request.query("group_by") ?? "app")
        }
        api.endpoint(.get, "apis") { request, _, p in
            ItemList(items: try await flows.apis(p, try Self.selection(request, now: flows.now)))
        }
        api.endpoint(.get, "apis/openapi") { request, _, p in
            let selection = try Self.selection(request, now: flows.now)
            let title = request.query("selector").map { "APIs observed on \($0)" } ?? "APIs observed"
            return OpenAPISketch(title: title, endpoints: try await flows.apis(p, selection))
        }
    }

    /// Reads `selector` and `peer` (label selectors), `since` (an ISO time, or a duration ago such as `5m`)
    /// and `limit` (default 1000, at most 10000).
    static func selection(_ request: Request, now: Date) throws(TapsterError) -> FlowSelection {
        var selection = FlowSelection()
        selection.selector = try selector(request.query("selector"), name: "selector")
        selection.peer = try selector(request.query("peer"), name: "peer")
        selection.since = try request.timeQuery("since", now: now)
        if let limit = request.query("limit") {
            guard let value = Int(limit), (1...FlowSelection.maximumLimit).contains(value) else {
                throw TapsterError(.badRequest, "limit: \"\(limit)\" is not 1–\(FlowSelection.maximumLimit)")
            }
            selection.limit = value
        }
        return selection
    }

    private static func selector(_ text: String?, name: String) throws(TapsterError) -> LabelSelector? {
        guard let text else { return nil }
        do {
            return try LabelSelector(parsing: text)
        } catch {
            throw TapsterError(.badRequest, "\(name): \(error.message)")
        }
    }
}
