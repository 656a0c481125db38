import Foundation
import TapsterAPI
import TapsterCore

/// Flows, the map and observed APIs (`tapster flows`, `tapster map`, `tapster apis`).
extension CommandSession {
    /// How `tapster map` prints the graph.
    public enum MapFormat: String, Sendable, CaseIterable {
        /// One row per edge.
        case table
        /// Graphviz DOT (`tapster map -o dot | dot -Tsvg`).
        case dot
        /// The API's JSON.
        case json
    }

    /// How `tapster apis` prints the endpoints.
    public enum APIsFormat: String, Sendable, CaseIterable {
        case table, json, yaml
        /// An OpenAPI 3.1 sketch of what was observed (JSON, which is also YAML).
        case openapi
    }

    /// Lists the flows the query selects, newest first; with `follow`, then prints every flow seen again or
    /// anew, every `interval`, until interrupted.
    public func listFlows(query: [String: String], follow: Bool, interval: Duration = .seconds(2)) async throws {
        let first = try await client.get(APIPath.api("flows") + Self.query(query), as: ItemList<FlowView>.self)
        try show(APIResponse(value: first.value.items, json: first.json["items"] ?? .array([])))
        guard follow else { return }
        var seen = first.value.items.map(\.flow.lastSeen).max() ?? Date()
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            var next = query
            next["since"] = TapsterJSON.formatTime(seen.addingTimeInterval(0.001))
            let answer = try await client.get(APIPath.api("flows") + Self.query(next), as: ItemList<FlowView>.self)
            // Oldest first, as they happened; each item with its own JSON (the answer's items, in the same order).
            var jsonItems: [JSONValue] = []
            if case .array(let items)? = answer.json["items"] { jsonItems = items }
            let fresh = answer.value.items.indices.filter { answer.value.items[$0].flow.lastSeen > seen }.reversed()
            guard !fresh.isEmpty else { continue }
            let views = fresh.map { answer.value.items[$0] }
            seen = views.map(\.flow.lastSeen).max() ?? seen
            let json = JSONValue.array(fresh.compactMap { jsonItems.indices.contains($0) ? jsonItems[$0] : nil })
            // Rows only, as `hubble observe --follow` goes on under the first table.
            let rendered = try renderer.render(APIResponse(value: views, json: json))
            try Console.out(renderer.format == .table ? rendered.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
                .joined(separator: "\n") : rendered)
        }
    }

    /// Prints who talks to whom among the flows the query selects.
    public func showMap(query: [String: String], format: MapFormat) async throws {
        let answer = try await client.get(APIPath.api("flows", "map") + Self.query(query), as: FlowMap.self)
        switch format {
        case .dot: try Console.out(answer.value.dot)
        case .json: try Console.out(try answer.json.prettyPrinted() + "\n")
        case .table: try show(APIResponse(value: answer.value.edges, json: answer.json["edges"] ?? .array([])))
        }
    }

    /// Prints the HTTP endpoints observed on the flows the query selects (in the session's format), or their
    /// OpenAPI sketch.
    public func listAPIs(query: [String: String], format: APIsFormat) async throws {
        if format == .openapi {
            let answer = try await client.get(APIPath.api("apis", "openapi") + Self.query(query), as: OpenAPISketch.self)
            try Console.out(try answer.json.prettyPrinted() + "\n")
            return
        }
        let answer = try await client.get(APIPath.api("apis") + Self.query(query), as: ItemList<APIEndpoint>.self)
        try show(APIResponse(value: answer.value.items, json: answer.json["items"] ?? .array([])))
    }

    private static func query(_ parameters: [String: String]) -> String {
        APIPath.query(parameters.sorted { $0.key < $1.key }.map { (key: $0.key, value: Optional($0.value)) })
    }
}
