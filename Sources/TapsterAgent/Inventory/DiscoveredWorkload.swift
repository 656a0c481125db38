import TapsterCore

/// Something on this host whose traffic can be tapped, as the ``InventoryScanner`` found it: one host
/// interface, a named network namespace, the network namespace of a running process, or a pod or
/// container a ``PlatformInventory`` reported.
public struct DiscoveredWorkload: Sendable, Hashable {
    /// Unique on the host: the interface name (kind `host`), the namespace name (named namespace),
    /// `pid-<pid>-<comm>` (a process's namespace), `<namespace>/<pod>` (a pod) or the container's name.
    public var name: String
    /// `host` (one of the host's own interfaces), `netns`, `pod` or `container`.
    public var kind: WorkloadKind
    /// The namespace to enter: a name under /var/run/netns, `/proc/<pid>/ns/net`, or empty for the host's own.
    public var netns: String
    /// The host's labels overlaid with the first matching workload rule's, then (pods, containers) the runtime's.
    public var labels: [String: String]
    /// The workload's interfaces, sorted by name (`lo` is never listed; none for a host-network pod).
    public var interfaces: [DiscoveredInterface]
    /// For pods and containers: what their runtime says about them; nil for the kernel's own workloads.
    public var platform: PlatformIdentity?

    /// Describes a workload.
    public init(name: String, kind: WorkloadKind, netns: String, labels: [String: String] = [:],
                interfaces: [DiscoveredInterface] = [], platform: PlatformIdentity? = nil) {
        self.name = name
        self.kind = kind
        self.netns = netns
        self.labels = labels
        self.interfaces = interfaces
        self.platform = platform
    }

    /// The deterministic inventory order: host interfaces first, then namespaces, each by name.
    static func inventoryOrder(_ a: DiscoveredWorkload, _ b: DiscoveredWorkload) -> Bool {
        let (rankA, rankB) = (a.kind == .host ? 0 : 1, b.kind == .host ? 0 : 1)
        return rankA != rankB ? rankA < rankB : a.name < b.name
    }
}

/// A network interface of a ``DiscoveredWorkload``.
public struct DiscoveredInterface: Sendable, Hashable {
    /// The interface name inside its namespace, e.g. `eth0`.
    public var name: String
    /// The Ethernet address, lower-case and colon-separated; nil when the interface has none (tun, GRE).
    public var mac: String?
    /// IPv4 then IPv6 addresses, without prefix length, in a stable order.
    public var ips: [String]

    /// Describes an interface.
    public init(name: String, mac: String? = nil, ips: [String] = []) {
        self.name = name
        self.mac = mac
        self.ips = ips
    }
}
