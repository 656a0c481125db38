import TapsterCore

/// Which agents a committed change concerns: the agents whose plan may differ once it is applied, so that
/// the ``AgentHub`` re-plans those rather than every agent. Pure, like the planner.
///
/// - a tap: the hosts its plan reaches now, and those whose current plan holds it;
/// - a filter or a target: the same, for every tap using it (by name);
/// - any of these of a live tap into a `port` target: every agent (the port's interface is excluded from
///   every tap's sources on its host);
/// - a workload: its host; and the hosts of every live tap whose plan reads other hosts' workloads (a peer
///   selector's addresses; a `port` target's interface);
/// - an agent: that agent; and the hosts of every `port` tap (a tunnel address is part of their plans);
/// - a recorder's filter: every agent (a recorder's own change is ``Change/everything``);
/// - ``Change/everything``: every agent (`nil`).
extension DesiredTapsPlanner {
    /// - Parameters:
    ///   - inputs: the planner's inputs once the change is applied.
    ///   - holding: tap id → the agents whose current plan holds the tap (as a sender, or as a port's receiver).
    static func agents(concernedBy change: Change, in inputs: Inputs, holding: [String: Set<String>]) -> Set<String>? {
        switch change {
        case .everything:
            return nil
        case .tap(let id, _):
            return reachUnlessPort(of: { $0.id == id }, in: inputs, holding: holding).map { $0.union(holding[id] ?? []) }
        case .filter(let name, _):
            // A recorder's filter: every agent (its hosts now and those that ran it).
            if inputs.recorders.contains(where: { $0.filter == name }) { return nil }
            return reachUnlessPort(of: { $0.filter == name }, in: inputs, holding: holding)
        case .target(let name, _):
            return reachUnlessPort(of: { $0.target == name }, in: inputs, holding: holding)
        case .workload(_, let host, _):
            let filters = Dictionary(inputs.filters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            let ports = portTargets(in: inputs)
            return reach(of: { filters[$0.filter]?.spec.peerSelector != nil || ports.contains($0.target) }, in: inputs,
                         holding: holding).union([host])
        case .agent(let name, _):
            let ports = portTargets(in: inputs)
            return reach(of: { ports.contains($0.target) }, in: inputs, holding: holding).union([name])
        case .namespaceMapping:
            // Its pods' own workload changes name their hosts.
            return []
        }
    }

    /// ``reach(of:in:holding:)``, or every agent (`nil`) when one of the taps delivers into a `port`: its
    /// interface is then no source of any tap on its host, whichever taps that host runs.
    private static func reachUnlessPort(of selected: (Tap) -> Bool, in inputs: Inputs, holding: [String: Set<String>]) -> Set<String>? {
        let ports = portTargets(in: inputs)
        if inputs.taps.contains(where: { selected($0) && ports.contains($0.target) }) { return nil }
        return reach(of: selected, in: inputs, holding: holding)
    }

    /// The agents the live taps matching `selected` reach (with sources or as receivers) in `inputs`, and
    /// those whose current plan holds any of them.
    private static func reach(of selected: (Tap) -> Bool, in inputs: Inputs, holding: [String: Set<String>]) -> Set<String> {
        let taps = inputs.taps.filter(selected)
        guard !taps.isEmpty else { return [] }
        var only = inputs
        only.taps = taps
        var agents = Set(plan(only).filter { !$0.value.taps.isEmpty || !$0.value.receptions.isEmpty }.keys)
        for tap in taps { agents.formUnion(holding[tap.id] ?? []) }
        return agents
    }

    private static func portTargets(in inputs: Inputs) -> Set<String> {
        Set(inputs.targets.filter { $0.kind == .port }.map(\.name))
    }
}
