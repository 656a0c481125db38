import Foundation
import Hummingbird
import NIOCore
import TapsterCore

/// `/flows/map`: who talks to whom, for every role — the ``FlowMap`` that ``FlowService`` lets the visitor see
/// (owners: their tenants' workloads; the other end of a flow into another tenant only as its address), drawn
/// as a static SVG (``FlowMapSVG``) with a table of its edges. A search form (GET) narrows it by `selector`,
/// `peer`, `since` (default `1h`) and `group_by` (default `app`), the API's parameters.
///
/// `?fragment=map` answers only the map's region (the `flow-map-region` template), which `portal.js` fetches
/// every few seconds to refresh the open page; without JavaScript the page is complete and static.
struct FlowMapPages {
    static let path = "/flows/map"
    static let defaultSince = "1h"
    static let defaultGroupBy = "app"
    static let searchFields = ["selector", "peer", "since", "group_by"]

    let portal: Portal

    /// An edge as the table under the map lists it.
    struct EdgeRow: Sendable {
        let from: String
        let to: String
        let service: String
        let connections: String
        let resets: String
        let packets: String
        let bytes: String
        let reset: Bool
    }

    /// What the `flow-map-region` template shows: the part of the page that refreshes.
    struct Region: Sendable {
        /// The `<svg>` element, escaped by ``FlowMapSVG`` (the template inserts it as is).
        let svg: String
        let edges: [EdgeRow]
        let summary: String
        let updated: String
        /// Where `portal.js` fetches the next version of this region.
        let refreshHref: String
    }

    /// What the `flow-map` template shows.
    struct Content: Sendable {
        let search: FormView
        let region: Region
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("flows/map") { request in
            var parameters = Self.searchParameters(request.request)
            var search = FormView(action: Self.path, submit: "Show map", fields: [
                FormField("selector", "Workloads", hint: "A label selector, e.g. app=web: flows with such a workload at either end."),
                FormField("peer", "Peer", hint: "And with a workload this selects at the other end, e.g. app=db."),
                FormField("since", "Since", hint: "A duration ago (1h, 15m) or a time (2026-11-23T18:00:00Z)."),
                FormField("group_by", "Group by", hint: "The label whose value makes a node, e.g. app or tier."),
            ]).filled(from: PortalForm(fields: Dictionary(uniqueKeysWithValues: parameters))).asSearch()
            let groupBy = request.request.query("group_by") ?? Self.defaultGroupBy
            var map = FlowMap([], groupBy: groupBy)
            var status = HTTPResponse.Status.ok
            do {
                var selection = try FlowRoutes.selection(request.request, now: portal.now)
                if request.request.query("since") == nil {
                    selection.since = portal.now.addingTimeInterval(-TimeInterval(try TapDuration(parsing: Self.defaultSince).seconds))
                }
                map = try await portal.flows.map(request.principal, selection, groupBy: groupBy)
            } catch let error as TapsterError where error.code == .badRequest {
                search = search.failed(TapsterError(error.code, error.message, field: error.message.components(separatedBy: ":").first))
                status = .badRequest
            }
            parameters.append(("fragment", "map"))
            let region = Self.region(map, updated: portal.now, refreshHref: AuditPages.href(Self.path, parameters))
            if request.request.query("fragment") == "map" {
                return try portal.renderFragment("flow-map-region", content: region, status: status)
            }
            return portal.render("flow-map", title: "Flow map", content: Content(search: search, region: region),
                                 request: request.request, visitor: request.visitor, status: status)
        }
    }

    /// The search as the request gave it, with the defaults for `since` and `group_by` filled in.
    static func searchParameters(_ request: Request) -> [(String, String)] {
        let defaults = ["since": defaultSince, "group_by": defaultGroupBy]
        return searchFields.compactMap { name in (request.query(name) ?? defaults[name]).map { (name, $0) } }
    }

    static func region(_ map: FlowMap, updated: Date, refreshHref: String) -> Region {
        let edges = map.edges.map { edge in
            EdgeRow(from: edge.from, to: edge.to, service: "\(edge.protocol)/\(edge.port)", connections: DisplayFormat.count(UInt64(edge.connections)),
                    resets: DisplayFormat.count(UInt64(edge.resets)), packets: DisplayFormat.count(edge.packets),
                    bytes: DisplayFormat.bytes(edge.bytes), reset: edge.resets > 0)
        }
        let summary = "\(map.nodes.count) node\(map.nodes.count == 1 ? "" : "s"), \(map.edges.count) edge\(map.edges.count == 1 ? "" : "s"), grouped by \(map.groupBy)."
        return Region(svg: map.edges.isEmpty ? "" : FlowMapSVG(map: map).svg, edges: edges, summary: summary,
                      updated: DisplayFormat.time(updated), refreshHref: refreshHref)
    }
}
