/// Something committed to the store that a subscriber of the ``ChangeFeed`` may have to act on:
/// which object, and how it changed.
///
/// A change names its object; it does not carry it. Subscribers read the store for the current
/// state (what they act on is what is committed, never what a publisher thought it wrote), which is
/// also what lets a change travel between replicas as a small PostgreSQL `NOTIFY` payload.
public enum Change: Sendable, Hashable {
    /// How an object changed.
    public enum Kind: String, Sendable, Hashable {
        case created, updated, deleted
    }

    /// A tap (by id): opened, re-activated (a new tap), stopped, expired.
    case tap(id: String, Kind)
    /// A filter (by name; taps and grants refer to it by name).
    case filter(name: String, Kind)
    /// A target (by name; taps and grants refer to it by name).
    case target(name: String, Kind)
    /// A workload (by id), on the host (agent) that runs it.
    case workload(id: String, host: String, Kind)
    /// An agent (by name): enrolled, connected, disconnected, revoked, deleted.
    case agent(name: String, Kind)
    /// A namespace mapping (by pattern): created or deleted. The pods it moved to another tenant are
    /// published as workload changes beside it.
    case namespaceMapping(pattern: String, Kind)
    /// Anything may have changed: changes may have been missed (this replica's connection to the
    /// other replicas' changes was lost and is back, or their feed fell behind). Subscribers re-read
    /// everything they depend on from the store, as for ``ChangeFeed/Event/resync``.
    case everything
}

extension Change {
    /// The host a workload or agent change is about; `nil` for the others, which may concern any host.
    var host: String? {
        switch self {
        case .workload(_, let host, _): host
        case .agent(let name, _): name
        case .tap, .filter, .target, .namespaceMapping, .everything: nil
        }
    }
}
