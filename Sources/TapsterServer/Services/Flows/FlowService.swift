import Foundation
import TapsterCore
import TapsterStore

/// Flow records of `flows` taps: what agents report, and what principals read of it — listings, the map of
/// who talks to whom, and the HTTP endpoints observed — each scoped by ``Policy/flowScope(of:)`` and with the
/// other end of a flow named only when ``Policy/flowPeer(_:visibleTo:)`` allows.
public struct FlowService: ContextualService {
    let context: ServiceContext
    /// How long flow records are kept (``pruneExpired()``).
    let retention: TimeInterval

    public static let defaultRetention: TimeInterval = 24 * 3600

    // MARK: Reports

    /// Records what agent `agent` reported. The host is the agent's (its certificate's name, never the
    /// message's); a record counts only for a tap whose target is a `flows` target and for a workload on the
    /// agent's own host — others are refused and counted in the result, never stored.
    /// - Returns: how many records were refused.
    @discardableResult
    func record(agent: String, _ records: [FlowRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        let workloads = Dictionary(try await store.listWorkloads(onHost: agent).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var flowTaps: [String: Bool] = [:]
        var accepted: [StoredFlow] = []
        for var record in records {
            if flowTaps[record.tapID] == nil { flowTaps[record.tapID] = try await isFlowTap(record.tapID) }
            guard flowTaps[record.tapID] == true, let workload = workloads[record.workload] else { continue }
            record.host = agent
            accepted.append(StoredFlow(record: record, tenant: workload.tenant))
        }
        try await store.recordFlows(accepted)
        return records.count - accepted.count
    }

    private func isFlowTap(_ id: String) async throws -> Bool {
        guard let tap = try await store.findTap(id: id) else { return false }
        return try await store.find(tap.target, in: .targets)?.kind == .flows
    }

    /// Deletes the records older than the retention.
    @discardableResult
    func pruneExpired() async throws -> Int {
        try await store.pruneFlows(before: now.addingTimeInterval(-retention))
    }

    // MARK: Reads

    /// The flows `p` may see that `selection` selects, newest first, each end named when visible.
    public func flows(_ p: Principal, _ selection: FlowSelection) async throws -> [FlowView] {
        try Policy.require(p, .read, .flow, .collection)
        let stored = try await store.flows(FlowQuery(tenants: Policy.flowScope(of: p), since: selection.since))
        let resolver = try await peers(for: p)
        var views: [FlowView] = []
        for flow in stored {
            let view = resolver.view(of: flow.record)
            guard selection.selects(view) else { continue }
            views.append(view)
            if views.count >= selection.limit { break }
        }
        return views
    }

    /// Who talks to whom among the flows `p` may see that `selection` selects, grouped by the label `groupBy`.
    public func map(_ p: Principal, _ selection: FlowSelection, groupBy: String) async throws -> FlowMap {
        var unlimited = selection
        unlimited.limit = Int.max
        return FlowMap(try await flows(p, unlimited), groupBy: groupBy)
    }

    /// The HTTP endpoints observed on the flows `p` may see that `selection` selects: per serving workload (or
    /// address), method and templated path, the calls, status classes, latencies and callers.
    public func apis(_ p: Principal, _ selection: FlowSelection) async throws -> [APIEndpoint] {
        try Policy.require(p, .read, .flow, .collection)
        let exchanges = try await store.httpExchanges(FlowQuery(tenants: Policy.flowScope(of: p), since: selection.since))
        let resolver = try await peers(for: p)
        let selected = exchanges.compactMap { stored -> (FlowView, HTTPExchange)? in
            let view = resolver.view(of: stored.flow.record)
            return selection.selects(view) ? (view, stored.exchange) : nil
        }
        return APIEndpoint.summaries(of: selected)
    }

    /// The workloads the ends of flows may be, by address, as `p` may see them.
    private func peers(for p: Principal) async throws -> FlowPeerResolver {
        FlowPeerResolver(workloads: try await store.list(.workloads, tenants: nil), principal: p)
    }
}

/// Names the ends of flows: an address is the workload that has it (the tapped side is the workload that
/// reported it), as far as the principal may see it.
struct FlowPeerResolver {
    private let byAddress: [String: Workload]
    private let byHostAndName: [String: Workload]
    private let principal: Principal

    init(workloads: [Workload], principal: Principal) {
        var byAddress: [String: Workload] = [:]
        var byHostAndName: [String: Workload] = [:]
        var shared = Set<String>()
        for workload in workloads {
            byHostAndName["\(workload.host)/\(workload.name)"] = workload
            for ip in workload.interfaces.flatMap(\.ips) {
                let key = ip.description
                if let known = byAddress[key], known.id != workload.id { shared.insert(key) } else { byAddress[key] = workload }
            }
        }
        // An address two workloads share (a host-network pod and its host, two hosts' private ranges) names neither.
        for key in shared { byAddress[key] = nil }
        self.byAddress = byAddress
        self.byHostAndName = byHostAndName
        self.principal = principal
    }

    func view(of record: FlowRecord) -> FlowView {
        let tapped = byHostAndName["\(record.host)/\(record.workload)"]
        let tappedAddresses = Set(tapped?.interfaces.flatMap { $0.ips.map(\.description) } ?? [])
        let side = { (endpoint: FlowEndpoint) -> Workload? in
            tappedAddresses.contains(endpoint.address) ? tapped : byAddress[endpoint.address]
        }
        return FlowView(flow: record, clientWorkload: Policy.flowPeer(side(record.client), visibleTo: principal),
                        serverWorkload: Policy.flowPeer(side(record.server), visibleTo: principal))
    }
}
