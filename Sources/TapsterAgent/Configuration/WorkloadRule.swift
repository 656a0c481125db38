/// One entry of the configuration's `workloads` list: which workloads it matches and the labels it gives
/// them. The first rule that matches a workload wins.
public struct WorkloadRule: Sendable, Hashable {
    /// What a workload must look like; every pattern given must match.
    public var match: WorkloadMatch
    /// The labels a matching workload gets, on top of the host's labels (these win on a common key).
    public var labels: [String: String]

    /// A rule giving `labels` to the workloads `match` selects.
    public init(match: WorkloadMatch, labels: [String: String]) {
        self.match = match
        self.labels = labels
    }
}

/// The `match` part of a ``WorkloadRule``: glob patterns on the namespace and on interface names.
public struct WorkloadMatch: Sendable, Hashable {
    /// Matches the workload's namespace name: the name under /var/run/netns, or `pid-<pid>-<comm>` for a
    /// process's namespace. A host workload (the host's own namespace) never matches a `netns` pattern.
    public var netns: GlobPattern?
    /// Matches when at least one of the workload's interfaces has a matching name.
    public var interface: GlobPattern?

    /// A match on the given patterns (at least one should be given; with none, everything matches).
    public init(netns: GlobPattern? = nil, interface: GlobPattern? = nil) {
        self.netns = netns
        self.interface = interface
    }

    /// Whether a workload whose namespace is named `namespaceName` (nil for the host's own namespace)
    /// and has interfaces named `interfaceNames` matches.
    public func matches(namespaceName: String?, interfaceNames: [String]) -> Bool {
        if let netns {
            guard let namespaceName, netns.matches(namespaceName) else { return false }
        }
        if let interface {
            guard interfaceNames.contains(where: interface.matches) else { return false }
        }
        return true
    }
}
