import Foundation
import Hummingbird
import TapsterCore

/// Neutron's paging of a list (`GET /v2.0/taas/tap_services?limit=2&marker=<id>[&page_reverse=True]`):
/// items in ascending order of id; `marker` is the id of the last item of the previous page (of the
/// first, when paging back with `page_reverse`); the answer carries `<collection>_links` with a `next`
/// link when more items follow and a `previous` link when some come before — as Neutron pages.
/// No answer holds more than ``maximumLimit`` items (Neutron's `pagination_max_limit`).
struct NeutronPaging: Sendable, Equatable {
    static let maximumLimit = PageRequest.maximumLimit

    /// Items per page; `nil` when the request named none (then ``maximumLimit`` bounds the answer).
    var limit: Int?
    var marker: String?
    var reverse = false

    /// Reads `limit` (0 or absent: no limit of the caller's own; above ``maximumLimit``: that
    /// maximum, as Neutron caps it), `marker` (an id) and `page_reverse`. Anything else is `HTTPBadRequest`.
    init(_ request: Request) throws(TapsterError) {
        if let text = request.query("limit") {
            guard let value = Int(text), value >= 0 else {
                throw TapsterError(.badRequest, "Limit must be an integer 0 or greater and not '\(text)'", field: "limit")
            }
            limit = value == 0 ? nil : min(value, Self.maximumLimit)
        }
        if let text = request.query("marker") {
            guard Identifier.isIdentifier(text) else { throw TapsterError(.badRequest, "marker: '\(text)' is not an id", field: "marker") }
            marker = text
        }
        switch request.query("page_reverse")?.lowercased() {
        case nil, "false", "0", "no", "off": reverse = false
        case "true", "1", "yes", "on": reverse = true
        case let other?: throw TapsterError(.badRequest, "page_reverse: '\(other)' is neither True nor False", field: "page_reverse")
        }
    }

    /// This page of `items` (those the caller may see, filtered by the query) and its links, whose
    /// `href`s repeat the request's query with the marker (and direction) of the page they lead to.
    func page<Item: NeutronListable>(of items: [Item], request: Request, base: ExternalURL?) -> (items: [Item], links: [NeutronLink]) {
        let sorted = items.map { (id: $0.filterable["id"] ?? "", item: $0) }.sorted { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }
        let size = limit ?? Self.maximumLimit
        let before: ArraySlice<(id: String, item: Item)>, page: ArraySlice<(id: String, item: Item)>, after: ArraySlice<(id: String, item: Item)>
        if reverse {
            let earlier = marker.map { m in sorted.prefix { Self.less($0.id, m) } } ?? sorted[...]
            page = earlier.suffix(size)
            before = earlier.prefix(earlier.count - page.count)
            after = sorted.suffix(sorted.count - earlier.count)
        } else {
            let later = marker.map { m in sorted.drop { !Self.less(m, $0.id) } } ?? sorted[...]
            page = later.prefix(size)
            before = sorted.prefix(sorted.count - later.count)
            after = later.dropFirst(page.count)
        }
        var links: [NeutronLink] = []
        if let last = page.last, !after.isEmpty {
            links.append(NeutronLink(rel: "next", href: href(request, marker: last.id, reverse: false, base: base)))
        }
        if let first = page.first, !before.isEmpty {
            links.append(NeutronLink(rel: "previous", href: href(request, marker: first.id, reverse: true, base: base)))
        }
        return (page.map(\.item), links)
    }

    private static func less(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    /// The request's URL with `marker` and `page_reverse` replaced and `limit` kept (set to the page
    /// size when the caller named none), on the configured external URL when there is one.
    private func href(_ request: Request, marker: String, reverse: Bool, base: ExternalURL?) -> String {
        var components = URLComponents()
        components.path = request.uri.path
        var items = (URLComponents(string: "?" + (request.uri.query ?? ""))?.queryItems ?? [])
            .filter { !["limit", "marker", "page_reverse"].contains($0.name) }
        items.append(URLQueryItem(name: "limit", value: String(limit ?? Self.maximumLimit)))
        items.append(URLQueryItem(name: "marker", value: marker))
        if reverse { items.append(URLQueryItem(name: "page_reverse", value: "True")) }
        components.queryItems = items
        let path = components.string ?? request.uri.path
        return base?.absolute(path) ?? path
    }
}

/// One entry of Neutron's `<collection>_links`.
struct NeutronLink: Codable, Sendable, Equatable {
    var rel: String
    var href: String
}

/// A Neutron list answer: `{"<collection>": […], "<collection>_links": […]}`, the links only when there are any.
struct NeutronListPage<Item: Encodable & Sendable>: Encodable, Sendable {
    let collection: String
    let items: [Item]
    let links: [NeutronLink]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NeutronFieldKey.self)
        try container.encode(items, forKey: NeutronFieldKey(collection))
        if !links.isEmpty { try container.encode(links, forKey: NeutronFieldKey(collection + "_links")) }
    }
}

extension Array where Element: NeutronListable {
    /// The page `request` asks for of these (visible) elements, filtered by its query fields, as
    /// Neutron answers a list.
    func neutronPage(_ collection: String, request: Request, base: ExternalURL?) throws(TapsterError) -> NeutronListPage<Element> {
        let paging = try NeutronPaging(request)
        let (items, links) = paging.page(of: filtered(by: request), request: request, base: base)
        return NeutronListPage(collection: collection, items: items, links: links)
    }
}
