import Crypto
import Foundation
import TapsterCore
import TapsterStore

/// The planner's inputs as the ``AgentHub`` last read them from the store: everything once (at start, on
/// ``Change/everything``, on the feed's resync and on every periodic resync), and in between only the one
/// object each change names — so a change costs one small read, not five full ones.
///
/// What it holds is what was committed when it was read (changes name objects, they do not carry them);
/// only live taps are kept.
struct PlanningModel: Sendable {
    private var taps: [String: Tap] = [:]
    private var filters: [String: Filter] = [:]
    private var targets: [String: Target] = [:]
    /// By host. An array, not a dictionary by id: the model holds every host's workloads for as long as the
    /// server runs, and a dictionary's free slots cost about as much again (8 KB per host of 20 workloads,
    /// heaptrack at 300 agents); a host's few workloads are searched by id only when one of them changes.
    private var workloads: [String: [Workload]] = [:]
    /// Workload id → its host, as last read.
    private var hosts: [String: String] = [:]
    /// Shares the strings and label sets the kept workloads have in common (a node's name in each of its workloads,
    /// a deployment's labels): over 40 % of what a Kubernetes pod costs the model (Benchmarks/README.md, "Workloads
    /// kept with their strings shared"). One per model read whole; its copies share it.
    private let interner = WorkloadInterner()
    private var agents: [String: Agent] = [:]
    /// Flight recorders, by name: read whole on every load (a recorder's change is published as
    /// ``Change/everything``: they are few and rarely change).
    private var recorders: [String: Recorder] = [:]

    /// Everything the planner reads, from `store`.
    static func load(from store: any Store) async throws -> PlanningModel {
        var model = PlanningModel()
        model.taps = Self.byKey(try await store.listTaps(TapQuery(states: Set(TapState.allCases.filter(\.isLive)))), \.id)
        model.filters = Self.byKey(try await store.list(.filters, tenants: nil), \.name)
        model.targets = Self.byKey(try await store.list(.targets, tenants: nil), \.name)
        for (host, workloads) in Dictionary(grouping: try await store.list(.workloads, tenants: nil), by: \.host) {
            let kept = model.interner.interned(workloads).compacted
            // Keyed by the interned name, not the grouping's copy of it.
            model.workloads[kept.first?.host ?? host] = kept
            for workload in workloads { model.hosts[workload.id] = host }
        }
        model.agents = Self.byKey(try await store.listAgents(), \.name)
        model.recorders = Self.byKey(try await store.list(.recorders, tenants: nil), \.name)
        return model
    }

    /// Live tap `id`, as last read.
    func tap(_ id: String) -> Tap? { taps[id] }

    /// Reads again the one object `change` names (``Change/everything`` is the caller's: ``load(from:)``).
    mutating func refresh(_ change: Change, from store: any Store) async throws {
        switch change {
        case .tap(let id, _):
            taps[id] = try await store.findTap(id: id).flatMap { $0.state.isLive ? $0 : nil }
            if let tap = taps[id] { try await readReferences(of: [tap], from: store) }
        case .filter(let name, _):
            filters[name] = try await store.find(name, in: .filters).flatMap { $0.name == name ? $0 : nil }
        case .target(let name, _):
            targets[name] = try await store.find(name, in: .targets).flatMap { $0.name == name ? $0 : nil }
        case .workload(let id, _, _):
            if let host = hosts.removeValue(forKey: id) { forget(id, on: host) }
            if let workload = try await store.find(id, in: .workloads), workload.id == id { keep(workload) }
        case .agent(let name, _):
            agents[name] = try await store.findAgent(name).flatMap { $0.name == name ? $0 : nil }
        case .namespaceMapping, .everything:
            // A mapping's own change moves no tap: the pods it moved arrive as workload changes.
            break
        }
    }

    /// Reads again what newly attached agents' first sets depend on: their hosts' workloads and the live
    /// taps. A channel's first set must be right as committed, not as this replica's model last heard of it:
    /// an agent that failed over from another replica arrives while changes relayed from there may still
    /// be on their way, and a first set missing a tap would stop that tap on the host (and restart it
    /// a moment later) instead of leaving it running.
    mutating func refreshForFirstSets(hosts attached: Set<String>, from store: any Store) async throws {
        guard !attached.isEmpty else { return }
        for host in attached.sorted() { try await refresh(host: host, from: store) }
        taps = Self.byKey(try await store.listTaps(TapQuery(states: Set(TapState.allCases.filter(\.isLive)))), \.id)
        try await readReferences(of: Array(taps.values), from: store)
    }

    /// Reads the filters and targets of `taps` this model lacks. A tap's change may arrive before its
    /// filter's or target's (another replica's relay, a model read between the two): a model without them
    /// would plan the tap nowhere and stop it on its hosts.
    private mutating func readReferences(of taps: [Tap], from store: any Store) async throws {
        for tap in taps {
            if filters[tap.filter] == nil { try await refresh(.filter(name: tap.filter, .updated), from: store) }
            if targets[tap.target] == nil { try await refresh(.target(name: tap.target, .updated), from: store) }
        }
    }

    /// One host's agent and workloads as committed when read.
    struct HostReading: Sendable {
        var host: String
        var agent: Agent?
        var workloads: [Workload]

        static func read(_ host: String, from store: any Store) async throws -> HostReading {
            HostReading(host: host, agent: try await store.findAgent(host).flatMap { $0.name == host ? $0 : nil },
                        workloads: try await store.listWorkloads(onHost: host))
        }
    }

    /// Reads again host `host`'s agent and workloads.
    mutating func refresh(host: String, from store: any Store) async throws {
        let reading = try await HostReading.read(host, from: store)
        for workload in workloads[host] ?? [] where hosts[workload.id] == host { hosts[workload.id] = nil }
        workloads[host] = reading.workloads.isEmpty ? nil : interner.interned(reading.workloads).compacted
        for workload in reading.workloads {
            // Moved here from another host (whose own reading or change has not come yet): not there any more.
            if let earlier = hosts[workload.id], earlier != host { forget(workload.id, on: earlier) }
            hosts[workload.id] = host
        }
        agents[host] = reading.agent
    }

    /// The planner's inputs at `now`: with every workload, or only those on `hosts` (enough to plan those
    /// hosts as long as no tap ``readsOtherHosts``); with `reading`, that host's agent and workloads are
    /// the reading's instead of the model's (without copying the model to change it).
    func inputs(now: Date, tunnelKeySecret: SymmetricKey, onHosts hosts: Set<String>? = nil,
                replacing reading: HostReading? = nil) -> DesiredTapsPlanner.Inputs {
        func kept(_ host: String) -> Bool { host != reading?.host }
        var workloads: [Workload]
        if let hosts {
            workloads = hosts.filter(kept).flatMap { self.workloads[$0] ?? [] }
        } else {
            workloads = self.workloads.filter { kept($0.key) }.values.flatMap { $0 }
        }
        var agents = reading == nil ? Array(self.agents.values) : self.agents.values.filter { kept($0.name) }
        if let reading {
            workloads += reading.workloads
            if let agent = reading.agent { agents.append(agent) }
        }
        var inputs = DesiredTapsPlanner.Inputs(taps: Array(taps.values), filters: Array(filters.values), targets: Array(targets.values),
                                               workloads: workloads, agents: agents, now: now, tunnelKeySecret: tunnelKeySecret)
        inputs.recorders = Array(recorders.values)
        return inputs
    }

    /// Whether a live tap's plan on one host depends on other hosts' workloads: a peer selector (their
    /// addresses) or a `port` target (its interface, and the hosts that send to it).
    var readsOtherHosts: Bool {
        recorders.values.contains { filters[$0.filter]?.spec.peerSelector != nil } || taps.values.contains { tap in
            filters[tap.filter]?.spec.peerSelector != nil || targets[tap.target]?.kind == .port
        }
    }

    private mutating func keep(_ workload: Workload) {
        let workload = interner.interned(workload)
        if let index = workloads[workload.host]?.firstIndex(where: { $0.id == workload.id }) {
            workloads[workload.host]![index] = workload
        } else {
            workloads[workload.host, default: []].append(workload)
        }
        hosts[workload.id] = workload.host
    }

    private mutating func forget(_ id: String, on host: String) {
        workloads[host]?.removeAll { $0.id == id }
        if workloads[host]?.isEmpty == true { workloads[host] = nil }
    }

    private static func byKey<Value>(_ values: [Value], _ key: KeyPath<Value, String>) -> [String: Value] {
        Dictionary(values.map { ($0[keyPath: key], $0) }, uniquingKeysWith: { first, _ in first })
    }
}

private extension Array {
    /// The same elements in storage of exactly their count: an array grown by appending (as the store's
    /// readings are) keeps up to twice the room it needs, and the model keeps its arrays for good.
    var compacted: [Element] { count == capacity ? self : map { $0 } }
}
