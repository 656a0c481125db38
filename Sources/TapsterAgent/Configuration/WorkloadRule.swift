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

/// The `match` part of a ``WorkloadRule``: a glob pattern on the named namespace or a process match, and
/// one on interface names. A workload is matched by the key of its own origin only (``WorkloadOrigin``):
/// `netns` patterns see only names under /var/run/netns, and a process's namespace — whose name and
/// interfaces the process chooses itself — is matched only by a rule with a `process` match, so a
/// process cannot name itself into labels (a tenant) meant for others. A rule with only an `interface`
/// pattern matches the host's own interfaces only: inside a namespace, a workload with `CAP_NET_ADMIN`
/// there can name an interface anything, so a rule for namespaced interfaces names the `netns` too.
public struct WorkloadMatch: Sendable, Hashable {
    /// Matches the name of a namespace under /var/run/netns; never a host or process workload.
    public var netns: GlobPattern?
    /// Matches a process's namespace by what the process cannot choose (its uid, its executable); a rule
    /// without it never matches a process's namespace.
    public var process: ProcessMatch?
    /// Matches when at least one of the workload's interfaces has a matching name.
    public var interface: GlobPattern?

    /// A match on the given patterns (at least one should be given; with none, every host interface
    /// matches). `netns` and `process` exclude each other: with both, nothing matches.
    public init(netns: GlobPattern? = nil, process: ProcessMatch? = nil, interface: GlobPattern? = nil) {
        self.netns = netns
        self.process = process
        self.interface = interface
    }

    /// Whether a workload of origin `origin` with interfaces named `interfaceNames` matches.
    public func matches(_ origin: WorkloadOrigin, interfaceNames: [String]) -> Bool {
        switch origin {
        case .host:
            guard netns == nil, process == nil else { return false }
        case .namedNamespace(let name):
            guard process == nil, let netns, netns.matches(name) else { return false }
        case .process(let identity):
            guard netns == nil, let process, process.matches(identity) else { return false }
        case .platform:
            return false
        }
        if let interface {
            guard interfaceNames.contains(where: { interface.matches($0) }) else { return false }
        }
        return true
    }
}
