import ArgumentParser
import TapsterClient
import TapsterCore

/// What `tapster flows`, `tapster map` and `tapster apis` select, as `hubble observe` does.
struct FlowSelectionOptions: ParsableArguments {
    @Option(name: [.customShort("l"), .long], help: "Only flows with a workload this label selector matches at either end (app=web).")
    var selector: String?
    @Option(help: "And with a workload this label selector matches at the other end (app=db).")
    var peer: String?
    @Option(help: "Seen since: ISO 8601, or a duration ago such as 5m (default: everything kept).")
    var since: String?

    var query: [String: String] {
        ["selector": selector, "peer": peer, "since": since].compactMapValues { $0 }
    }
}

/// `tapster flows [-l app=web] [--peer app=db] [--since 5m] [--follow]`.
struct FlowsCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows", abstract: "List the flows `flows` taps summarised, newest first.",
        discussion: "Only flows of your tenants' workloads; the other end shows as its address unless it is yours too. Never payload.")
    @OptionGroup var selection: FlowSelectionOptions
    @Option(help: "At most this many flows (default 1000).") var limit: Int?
    @Flag(name: [.short, .long], help: "Keep printing flows as agents report them, until interrupted.") var follow = false
    @OptionGroup var options: ClientOptions

    func run(_ session: CommandSession) async throws {
        var query = selection.query
        if let limit { query["limit"] = String(limit) }
        try await session.listFlows(query: query, follow: follow)
    }
}

/// `tapster map [-l …] [--since 1h] [-o table|dot|json]`.
struct MapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map", abstract: "Who talks to whom: the graph of the flows you may see.",
        discussion: "Nodes are workloads grouped by a label (--group-by, default app); `-o dot | dot -Tsvg` draws it.")
    @OptionGroup var selection: FlowSelectionOptions
    @Option(help: "The label whose value names a node.") var groupBy = "app"
    @Option(name: [.short, .long], help: "Output format: table (one row per edge), dot or json.") var output: CommandSession.MapFormat = .table
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var query = selection.query
        query["group_by"] = groupBy
        let format = output
        try await connection.run(output: output == .json ? .json : .table) { [query] session in
            try await session.showMap(query: query, format: format)
        }
    }
}

/// `tapster apis [-l app=web] [-o table|json|yaml|openapi]`.
struct APIsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apis", abstract: "The HTTP endpoints observed on the flows you may see: calls, status classes, latency, callers.",
        discussion: "Paths are templated (/users/{id}); only method, path, Host, status and timing are recorded. `-o openapi` prints an OpenAPI 3.1 sketch.")
    @OptionGroup var selection: FlowSelectionOptions
    @Option(name: [.short, .long], help: "Output format: table, json, yaml or openapi.") var output: CommandSession.APIsFormat = .table
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let (format, query) = (output, selection.query)
        // table, json and yaml are the session's own formats; openapi is printed as the server answers it.
        try await connection.run(output: OutputFormat(rawValue: output.rawValue) ?? .json) { session in
            try await session.listAPIs(query: query, format: format)
        }
    }
}

extension CommandSession.MapFormat: ExpressibleByArgument {}
extension CommandSession.APIsFormat: ExpressibleByArgument {}
