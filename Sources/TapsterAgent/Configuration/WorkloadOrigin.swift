/// Where a workload comes from, as the configuration's rules see it: each kind is matched by its own
/// key, so that what a workload can choose about itself never selects a rule meant for another.
public enum WorkloadOrigin: Sendable, Hashable {
    /// One of the host's own interfaces (the agent's namespace): matched by `interface` patterns only.
    case host
    /// A namespace named under /var/run/netns (names only root can make): matched by `netns` patterns.
    case namedNamespace(String)
    /// The namespace of a running process, which chose its own name and interface names: matched only by
    /// a rule's `process` match.
    case process(ProcessIdentity)
    /// A pod or container its runtime reported (``PlatformWorkload``): no rule key matches it, so it gets
    /// the host's labels, under the runtime's own (which win).
    case platform
}
