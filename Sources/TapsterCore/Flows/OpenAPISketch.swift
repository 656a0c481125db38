/// An OpenAPI 3.1 document sketching what was observed of HTTP endpoints (`tapster apis -o openapi`): each
/// templated path with its methods and the status codes seen. A sketch, not a contract: it says what was
/// called while a flow tap ran, never what a service could answer.
public struct OpenAPISketch: Codable, Sendable, Equatable {
    public struct Info: Codable, Sendable, Equatable {
        public var title: String
        public var version: String
        public var description: String
    }

    public struct Parameter: Codable, Sendable, Equatable {
        public var name: String
        public var `in`: String
        public var required: Bool
        public var schema: [String: String]
    }

    public struct Response: Codable, Sendable, Equatable {
        public var description: String
    }

    public struct Operation: Codable, Sendable, Equatable {
        public var summary: String
        public var parameters: [Parameter]?
        public var responses: [String: Response]
    }

    public var openapi: String
    public var info: Info
    public var paths: [String: [String: Operation]]

    /// The sketch of `endpoints` (one server's, typically), titled `title`.
    public init(title: String, endpoints: [APIEndpoint]) {
        openapi = "3.1.0"
        info = Info(title: title, version: "observed",
                    description: "HTTP endpoints observed by Tapster flow taps: methods, templated paths and the status codes seen.")
        var paths: [String: [String: Operation]] = [:]
        for endpoint in endpoints {
            let (path, names) = Self.numbered(endpoint.pathTemplate)
            let parameters = names.map { Parameter(name: $0, in: "path", required: true, schema: ["type": "string"]) }
            var responses: [String: Response] = [:]
            for (status, count) in endpoint.statuses {
                responses[status] = Response(description: "seen \(count) time\(count == 1 ? "" : "s")")
            }
            if responses.isEmpty { responses["default"] = Response(description: "no answer seen") }
            let summary = "\(endpoint.calls) call\(endpoint.calls == 1 ? "" : "s") observed, p50 \(endpoint.latencyP50Microseconds) µs, "
                + "p99 \(endpoint.latencyP99Microseconds) µs"
            paths[path, default: [:]][endpoint.method.lowercased()] = Operation(summary: summary, parameters: parameters.isEmpty ? nil : parameters,
                                                                             responses: responses)
        }
        self.paths = paths
    }

    /// OpenAPI names each path parameter once: `/a/{id}/b/{id}` becomes `/a/{id}/b/{id2}`.
    static func numbered(_ template: String) -> (path: String, names: [String]) {
        var names: [String] = []
        let segments = template.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment == "{id}" else { return String(segment) }
            let name = names.isEmpty ? "id" : "id\(names.count + 1)"
            names.append(name)
            return "{\(name)}"
        }
        return (segments.joined(separator: "/"), names)
    }
}
