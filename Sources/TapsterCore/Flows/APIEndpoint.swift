import Foundation

/// One HTTP endpoint as observed on tapped flows (`tapster apis`): the workload (or address) that served
/// it, the method and the templated path, with how often it was called, the status classes of its answers,
/// its latency and who called it.
public struct APIEndpoint: Codable, Sendable, Hashable {
    /// The serving workload's name, or the server's address when it is not a visible workload.
    public var server: String
    /// The serving workload, when known and visible.
    public var serverWorkload: FlowPeer?
    public var method: String
    public var pathTemplate: String
    /// Host headers seen.
    public var hosts: [String]
    public var calls: Int
    /// Answers by status class: `2xx` … `5xx` (and `1xx`), and each status code seen.
    public var statusClasses: [String: Int]
    public var statuses: [String: Int]
    public var latencyP50Microseconds: UInt64
    public var latencyP99Microseconds: UInt64
    /// The callers: workload names, or addresses.
    public var callers: [String]

    /// The endpoints of `exchanges` (each with the flow it was read from), sorted by server, path and method.
    public static func summaries(of exchanges: [(view: FlowView, exchange: HTTPExchange)]) -> [APIEndpoint] {
        struct Key: Hashable { var server: String, method: String, path: String }
        var groups: [Key: (peer: FlowPeer?, items: [(FlowView, HTTPExchange)])] = [:]
        for (view, exchange) in exchanges {
            let server = view.serverWorkload?.name ?? view.flow.server.address
            let key = Key(server: server, method: exchange.method, path: exchange.pathTemplate)
            groups[key, default: (view.serverWorkload, [])].items.append((view, exchange))
        }
        return groups.map { key, group in
            let latencies = group.items.map(\.1.latencyMicroseconds).sorted()
            var classes: [String: Int] = [:]
            var statuses: [String: Int] = [:]
            for (_, exchange) in group.items {
                classes["\(exchange.status / 100)xx", default: 0] += 1
                statuses[String(exchange.status), default: 0] += 1
            }
            return APIEndpoint(server: key.server, serverWorkload: group.peer, method: key.method, pathTemplate: key.path,
                               hosts: Set(group.items.map(\.1.host).filter { !$0.isEmpty }).sorted(), calls: group.items.count,
                               statusClasses: classes, statuses: statuses,
                               latencyP50Microseconds: percentile(latencies, 0.50), latencyP99Microseconds: percentile(latencies, 0.99),
                               callers: Set(group.items.map { $0.0.clientWorkload?.name ?? $0.0.flow.client.address }).sorted())
        }.sorted { ($0.server, $0.pathTemplate, $0.method) < ($1.server, $1.pathTemplate, $1.method) }
    }

    /// The nearest-rank percentile of sorted `values` (0 when there are none).
    static func percentile(_ sorted: [UInt64], _ fraction: Double) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
