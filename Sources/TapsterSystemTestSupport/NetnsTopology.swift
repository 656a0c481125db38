import Foundation

/// A small network in namespaces, made for one test and named with a random prefix (`tt` + 4 hex digits):
///
/// ```
///   <p>-web      <p>-db       <p>-peer           workloads: eth0 = 10.X.0.2, .3, .4 /24
///     eth0         eth0         eth0
///      |            |            |
///   [ web ]      [ db ]      [ peer ]    <p>-lan: bridge br0, ports named after the workloads
///
///   root: <p>t 10.X.1.1/30  <——veth——>  <p>-tool: eth0 10.X.1.2/30      the monitoring tool
/// ```
///
/// X is random in 100–250 and unused by the machine's routes. IPv6 is off everywhere, neighbours are
/// static, and neither the bridge nor a workload reports multicast groups (IGMP), so the only packets on the
/// wires are the ones a test sends. ``remove()`` kills whatever still runs in the namespaces and deletes them
/// and the root link; call it in a `defer`.
public final class NetnsTopology: @unchecked Sendable {
    /// One end of the network: a workload or the tool.
    public struct Host: Sendable {
        /// `web`, `db`, `peer`, `tool`.
        public let role: String
        /// The namespace's name (under /var/run/netns).
        public let namespace: String
        /// The interface inside the namespace.
        public let interface: String
        /// Its IPv4 address.
        public let address: String
        /// Its MAC, `02:…`.
        public let mac: String
    }

    /// `tt` and four hex digits.
    public let prefix: String
    /// The second octet of every address.
    public let octet: Int
    /// The workloads on the bridge, by role.
    public let workloads: [String: Host]
    /// The tool's namespace.
    public let tool: Host
    /// The root namespace's end of the tool's link, and its address.
    public let rootInterface: String
    public let rootAddress: String
    private let bridgeNamespace: String

    /// The workload playing `role`.
    public subscript(_ role: String) -> Host {
        guard let host = workloads[role] else { preconditionFailure("no workload \(role) in \(workloads.keys.sorted())") }
        return host
    }

    /// Every namespace this topology made.
    public var namespaces: [String] { [bridgeNamespace, tool.namespace] + workloads.values.map(\.namespace) }

    /// Builds the network; on failure removes what it made and rethrows.
    public init(roles: [String] = ["web", "db", "peer"]) throws {
        prefix = TestNamePrefix.next()
        octet = try Self.unusedOctet()
        bridgeNamespace = "\(prefix)-lan"
        var workloads: [String: Host] = [:]
        for (index, role) in roles.enumerated() {
            workloads[role] = Host(role: role, namespace: "\(prefix)-\(role)", interface: "eth0",
                                   address: "10.\(octet).0.\(index + 2)", mac: Self.mac(octet, 0, index + 2))
        }
        self.workloads = workloads
        tool = Host(role: "tool", namespace: "\(prefix)-tool", interface: "eth0", address: "10.\(octet).1.2", mac: Self.mac(octet, 1, 2))
        rootInterface = "\(prefix)t"
        rootAddress = "10.\(octet).1.1"
        do {
            try build(roles: roles)
        } catch {
            remove()
            throw error
        }
    }

    private func build(roles: [String]) throws {
        try addNamespace(bridgeNamespace)
        // No multicast snooping: a snooping bridge joins the all-snoopers group 224.0.0.106 when it comes up and
        // reports it (IGMPv3 to 224.0.0.22, from 0.0.0.0) twice, the second time up to a second later, flooded to
        // every port — a packet on web's wire that no test sent, seen by a capture started early and not by one
        // started a moment later.
        try ip("-n", bridgeNamespace, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0", "mcast_snooping", "0")
        try ip("-n", bridgeNamespace, "link", "set", "br0", "up")
        // A plain switch: once anything on the machine loads br_netfilter (the CNI bridge plugin, podman), new
        // namespaces hand bridged IP packets to netfilter, which changes what the workloads' oversized
        // (segmentation-offloaded) frames look like on the wire.
        if FileManager.default.fileExists(atPath: "/proc/sys/net/bridge/bridge-nf-call-iptables") {
            try ip("netns", "exec", bridgeNamespace, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0",
                   "net.bridge.bridge-nf-call-ip6tables=0", "net.bridge.bridge-nf-call-arptables=0")
        }
        for role in roles {
            let host = self[role]
            try addNamespace(host.namespace)
            try ip("link", "add", host.interface, "netns", host.namespace, "type", "veth", "peer", "name", role, "netns", bridgeNamespace)
            try configure(host, prefixLength: 24)
            try ip("-n", bridgeNamespace, "link", "set", role, "master", "br0", "up")
        }
        for host in workloads.values {
            for other in workloads.values where other.role != host.role {
                try ip("-n", host.namespace, "neigh", "replace", other.address, "lladdr", other.mac, "dev", host.interface, "nud", "permanent")
            }
        }

        try addNamespace(tool.namespace)
        try ip("link", "add", rootInterface, "type", "veth", "peer", "name", tool.interface, "netns", tool.namespace)
        try? "1".write(toFile: "/proc/sys/net/ipv6/conf/\(rootInterface)/disable_ipv6", atomically: false, encoding: .utf8)
        try ip("addr", "add", "\(rootAddress)/30", "dev", rootInterface)
        try ip("link", "set", rootInterface, "address", Self.mac(octet, 1, 1), "up")
        try configure(tool, prefixLength: 30)
        try ip("neigh", "replace", tool.address, "lladdr", tool.mac, "dev", rootInterface, "nud", "permanent")
        try ip("-n", tool.namespace, "neigh", "replace", rootAddress, "lladdr", Self.mac(octet, 1, 1), "dev", tool.interface, "nud", "permanent")
    }

    private func configure(_ host: Host, prefixLength: Int) throws {
        try ip("-n", host.namespace, "link", "set", host.interface, "address", host.mac)
        try ip("-n", host.namespace, "addr", "add", "\(host.address)/\(prefixLength)", "dev", host.interface)
        try ip("-n", host.namespace, "link", "set", host.interface, "up")
    }

    /// Creates a namespace with loopback up, IPv6 off (for interfaces made in it afterwards) and no IGMP reports
    /// for link-local groups (224.0.0.x: nothing here routes multicast; all-hosts is never reported anyway).
    private func addNamespace(_ name: String) throws {
        try ip("netns", "add", name)
        try ip("-n", name, "link", "set", "lo", "up")
        // Kernels without IPv6 have no such files: ignore failures.
        try run(["ip", "netns", "exec", name, "sh", "-c",
                 "for f in all default; do echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6; done 2>/dev/null; "
                 + "{ echo 0 > /proc/sys/net/ipv4/igmp_link_local_mcast_reports; } 2>/dev/null; true"])
    }

    /// Runs `arguments` inside the namespace `namespace` to completion.
    @discardableResult
    public func run(in namespace: String, _ arguments: [String], allowFailure: Bool = false) throws -> ProcessRunner.Output {
        try ProcessRunner.run(["ip", "netns", "exec", namespace] + arguments, allowFailure: allowFailure)
    }

    /// The UDP datagrams that have reached `namespace`'s UDP layer since it was made: delivered to a socket, to
    /// no socket (`NoPorts`) or refused (`InErrors`) — every datagram its interfaces took in, whatever became of
    /// it. What the kernel dropped on the way in (a full backlog under load) never reached an interface, and a
    /// capture cannot see it either.
    public func udpDatagramsArrived(in namespace: String) throws -> UInt64 {
        let lines = try run(in: namespace, ["cat", "/proc/net/snmp"]).stdout.split(separator: "\n").filter { $0.hasPrefix("Udp: ") }
        guard lines.count == 2 else { throw NoUDPCounters(namespace: namespace) }
        let counters = Dictionary(uniqueKeysWithValues: zip(lines[0].split(separator: " ").dropFirst().map(String.init),
                                                            lines[1].split(separator: " ").dropFirst().compactMap { UInt64($0) }))
        return ["InDatagrams", "NoPorts", "InErrors"].reduce(0) { $0 + (counters[$1] ?? 0) }
    }

    /// A namespace's `/proc/net/snmp` had no `Udp:` counters.
    public struct NoUDPCounters: Error, CustomStringConvertible {
        public let namespace: String
        public var description: String { "no Udp counters in \(namespace)'s /proc/net/snmp" }
    }

    /// Starts `arguments` in the background inside `namespace`.
    public func spawn(in namespace: String, name: String, _ arguments: [String], directory: ScratchDirectory) throws -> BackgroundProcess {
        try BackgroundProcess(name: name, ["ip", "netns", "exec", namespace] + arguments, directory: directory)
    }

    /// Takes `role`'s bridge port (the other end of its eth0) off the bridge into this process's namespace, named
    /// `<prefix>-<role>`, up, with IPv6 off: a port whose host end is where container runtimes keep it. The
    /// workload then receives only what is sent into it there. The end goes with the workload's namespace.
    /// - Returns: the end's name.
    public func movePortPeerToRoot(of role: String) throws -> String {
        let name = "\(prefix)-\(role)"
        try ip("-n", bridgeNamespace, "link", "set", role, "nomaster")
        try ip("-n", bridgeNamespace, "link", "set", role, "name", name)
        try ip("-n", bridgeNamespace, "link", "set", name, "netns", "\(getpid())")
        try? "1".write(toFile: "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", atomically: false, encoding: .utf8)
        try ip("link", "set", name, "up")
        return name
    }

    /// The MACs the bridge has learned on `role`'s bridge port (`bridge fdb`, its own permanent entries left
    /// out), lower-case: where the bridge now sends frames for those addresses.
    public func learnedAddresses(onPortOf role: String) throws -> [String] {
        let table = try ProcessRunner.run(["bridge", "-n", bridgeNamespace, "fdb", "show", "br", "br0", "brport", role]).stdout
        return table.split(separator: "\n").filter { !$0.contains("permanent") }.compactMap { $0.split(separator: " ").first }
            .map { $0.lowercased() }
    }

    /// Kills every process left in the namespaces, then deletes them and the root link. Idempotent.
    public func remove() {
        _ = try? ProcessRunner.run(["ip", "link", "del", rootInterface], allowFailure: true)
        defer { _ = Self.claimed.update { $0.remove(octet) } }
        for namespace in namespaces {
            if let pids = try? ProcessRunner.run(["ip", "netns", "pids", namespace], allowFailure: true).stdout {
                for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? ProcessRunner.run(["ip", "netns", "del", namespace], allowFailure: true)
        }
    }

    private func ip(_ arguments: String...) throws {
        try run(["ip"] + arguments)
    }

    private func run(_ arguments: [String]) throws {
        try ProcessRunner.run(arguments)
    }

    /// `02:00:0a:<octet>:<subnet>:<host>`.
    private static func mac(_ octet: Int, _ subnet: Int, _ host: Int) -> String {
        String(format: "02:00:0a:%02x:%02x:%02x", octet, subnet, host)
    }

    /// Octets taken by topologies of this process that may not have added their routes yet.
    private static let claimed = LockedValue<Set<Int>>([])

    /// A second octet for 10.X.0.0/16 that no route or address of the machine uses, nor another topology
    /// of this process; claimed until ``remove()``.
    private static func unusedOctet() throws -> Int {
        let used = try ProcessRunner.run(["ip", "-4", "route", "show", "table", "all"]).stdout
            + ProcessRunner.run(["ip", "-4", "addr"]).stdout
        for _ in 0..<64 {
            let octet = Int.random(in: 100...250)
            guard !used.contains("10.\(octet).") else { continue }
            if claimed.update({ $0.insert(octet).inserted }) { return octet }
        }
        throw CommandFailed(arguments: ["ip", "route"], status: 0, stderr: "no unused 10.X.0.0/16 network for a test topology")
    }
}
