import Hummingbird
import Synchronization

/// The methods each route path answers, so that a known path asked with another method gets
/// `405 method_not_allowed` and an `Allow` header instead of the router's plain "not found".
///
/// Filled once from the router after every route is registered (the error middleware is added
/// before the routes, so it holds this table rather than a copy).
final class RouteMethods: Sendable {
    private let table = Mutex<[(path: RouterPath, methods: Set<HTTPRequest.Method>)]>([])

    /// Records every route of `routes` (Hummingbird's `Router.routes`).
    func load(_ routes: [Router<TapsterRequestContext>.RouteDescription]) {
        var grouped: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in routes {
            grouped[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        table.withLock { $0 = Array(grouped.values) }
    }

    /// The methods of the route the router picks for `path` — the most specific pattern that matches
    /// it (a literal segment beats a parameter, as in the router's trie), with `HEAD` wherever `GET`
    /// is — or nil when no route matches the path at all.
    func allowed(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let best = table.withLock { table in
            table.compactMap { entry in Self.specificity(of: entry.path, for: segments).map { ($0, entry.methods) } }
                .max { $0.0.lexicographicallyPrecedes($1.0) }?.1
        }
        guard var methods = best else { return nil }
        if methods.contains(.get) { methods.insert(.head) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    /// For a pattern matching `segments`, one score per segment (2 literal, 1 anything else), compared
    /// left to right; nil when it does not match.
    private static func specificity(of pattern: RouterPath, for segments: [Substring]) -> [Int]? {
        let elements = pattern.components
        var scores: [Int] = []
        for (index, element) in elements.enumerated() {
            if element.description == "**" { return scores + [0] }
            guard index < segments.count, element ~= segments[index] else { return nil }
            scores.append(element == segments[index] ? 2 : 1)
        }
        return elements.count == segments.count ? scores : nil
    }
}
