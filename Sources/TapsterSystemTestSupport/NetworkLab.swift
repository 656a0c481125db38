import Foundation

/// Network namespaces, veth pairs and bridges a test builds to play hosts, workloads and tools, all named
/// with one random prefix so parallel runs and leftovers never collide; ``tearDown()`` (also run on deinit)
/// deletes every namespace and root-namespace link it made.
///
/// Addresses come from `10.<octet>.0.0/16`, with `octet` random in 160–223, so that they do not clash with
/// the machine's own networks.
public final class NetworkLab: @unchecked Sendable {
    /// `tt` and four hex digits; every namespace is `<prefix>-<name>`, every root link `<prefix><name>`.
    public let prefix: String
    /// The second octet of the lab's `10.x.0.0/16` addresses.
    public let octet: Int
    private var namespaces: [String] = []
    private var rootLinks: [String] = []
    private let lock = NSLock()

    public init() {
        prefix = "tt" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        octet = Int.random(in: 160...223)
    }

    /// `10.<octet>.<subnet>.<host>`.
    public func address(_ subnet: Int, _ host: Int) -> String { "10.\(octet).\(subnet).\(host)" }

    /// Creates namespace `<prefix>-<name>` with loopback up, and returns its full name.
    @discardableResult
    public func addNamespace(_ name: String) throws -> String {
        let full = "\(prefix)-\(name)"
        try runCommand(["ip", "netns", "add", full])
        lock.withLock { namespaces.append(full) }
        try runCommand(["ip", "-n", full, "link", "set", "lo", "up"])
        return full
    }

    /// Creates bridge `<prefix><name>` in the root namespace, up, with `address` (CIDR) if given.
    @discardableResult
    public func addBridge(_ name: String, address: String? = nil) throws -> String {
        let bridge = prefix + name
        try runCommand(["ip", "link", "add", bridge, "type", "bridge"])
        lock.withLock { rootLinks.append(bridge) }
        if let address { try runCommand(["ip", "addr", "add", address, "dev", bridge]) }
        try runCommand(["ip", "link", "set", bridge, "up"])
        return bridge
    }

    /// A veth pair between namespace `namespace` (interface `interface`, with `address` as CIDR) and the root
    /// namespace (interface `<prefix><rootName>`, attached to `bridge` or given `rootAddress`). Returns the
    /// root-side name.
    @discardableResult
    public func addVeth(namespace: String, interface: String = "eth0", address: String?, rootName: String,
                        bridge: String? = nil, rootAddress: String? = nil) throws -> String {
        let root = prefix + rootName
        try runCommand(["ip", "link", "add", root, "type", "veth", "peer", "name", "\(root)p"])
        lock.withLock { rootLinks.append(root) }
        try runCommand(["ip", "link", "set", "\(root)p", "netns", namespace])
        try runCommand(["ip", "-n", namespace, "link", "set", "\(root)p", "name", interface])
        if let address { try runCommand(["ip", "-n", namespace, "addr", "add", address, "dev", interface]) }
        try runCommand(["ip", "-n", namespace, "link", "set", interface, "up"])
        if let bridge { try runCommand(["ip", "link", "set", root, "master", bridge]) }
        if let rootAddress { try runCommand(["ip", "addr", "add", rootAddress, "dev", root]) }
        try runCommand(["ip", "link", "set", root, "up"])
        return root
    }

    /// Runs a command inside `namespace` to completion.
    @discardableResult
    public func run(in namespace: String, _ arguments: [String], allowFailure: Bool = false) throws -> String {
        try runCommand(["ip", "netns", "exec", namespace] + arguments, allowFailure: allowFailure)
    }

    /// Starts a background command inside `namespace` (or the root namespace when nil).
    public func spawn(in namespace: String?, name: String, _ arguments: [String], logDirectory: String) throws -> ManagedProcess {
        let command = namespace.map { ["ip", "netns", "exec", $0] } ?? []
        return try ManagedProcess(name: name, executable: "/usr/bin/env",
                                  arguments: command + arguments,
                                  logPath: logDirectory + "/\(name).log")
    }

    /// Deletes every namespace and root link this lab made (links inside namespaces go with them).
    public func tearDown() {
        let (spaces, links) = lock.withLock { () -> ([String], [String]) in
            defer { namespaces = []; rootLinks = [] }
            return (namespaces, rootLinks)
        }
        for link in links.reversed() { _ = try? runCommand(["ip", "link", "del", link], allowFailure: true) }
        for space in spaces.reversed() {
            // Processes still inside would keep the namespace alive: kill them first.
            if let pids = try? runCommand(["ip", "netns", "pids", space], allowFailure: true) {
                for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? runCommand(["ip", "netns", "del", space], allowFailure: true)
        }
    }

    deinit { tearDown() }
}
