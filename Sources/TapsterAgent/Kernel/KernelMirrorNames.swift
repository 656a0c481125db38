import CTrafficControl

/// Whose kernel mirrors these are: one agent's marks. Several agents may share a host's namespace (tests run
/// many; a node runs one), so every name, alias and cookie carries the agent's name's hash, and an agent's
/// sweep (``KernelMirrorSweep``) never removes another agent's mirrors.
struct KernelMirrorOwner: Sendable {
    /// The first 8 bytes of every action cookie any agent sets.
    static let cookieMagic: [UInt8] = Array("tapster1".utf8)

    let agent: String
    let agentHash: UInt64

    init(agent: String) {
        self.agent = agent
        self.agentHash = KernelMirrorNames.fnv1a(agent)
    }

    /// The start of every cookie of this agent's actions: the magic, then 4 bytes of the agent's hash.
    var cookiePrefix: [UInt8] { Self.cookieMagic + KernelMirrorNames.bytes(agentHash, count: 4) }

    /// The cookie of the mark on a qdisc this agent added (``KernelQdiscs``): the agent's prefix, then "qdsc".
    /// (The mark is told from a tap's filter by its chain, not by these bytes.)
    var qdiscMarkCookie: [UInt8] { cookiePrefix + Array("qdsc".utf8) }

    /// The start of every alias of an interface this agent creates.
    var aliasPrefix: String { "tapster mirror \(agent): " }

    /// The VXLAN device to `tunnel`, in the host's namespace (shared by this agent's taps sending there).
    func tunnelName(for tunnel: KernelMirror.Tunnel) -> String {
        "tpv" + KernelMirrorNames.hex(KernelMirrorNames.fnv1a("\(agent)\u{0}\(tunnel.remote) \(tunnel.vni) \(tunnel.port)"))
    }

    /// The alias of the VXLAN device to `tunnel`.
    func tunnelAlias(for tunnel: KernelMirror.Tunnel) -> String {
        aliasPrefix + "vxlan \(tunnel.remote) vni \(tunnel.vni) port \(tunnel.port)"
    }

    /// Deletes the interface `name` when it is this agent's (its alias says so); leaves anything else alone.
    func deleteOwn(_ name: String, on route: NetlinkRoute) {
        var found = [CChar](repeating: 0, count: 128)
        let index = ctc_link_find(route.descriptor, name, nil, &found)
        guard index >= 0, String(cString: found).hasPrefix(aliasPrefix) else { return }
        _ = ctc_link_delete(route.descriptor, index)
    }
}

/// The names and marks of what an agent adds to the kernel for one tap, derived from the agent's name and the
/// tap's id, so a restarted agent recognises — and removes — what an earlier run left, and never anything else.
///
/// Interface names have 15 characters at most: a three-letter kind and 12 hex digits of a 64-bit FNV-1a hash.
struct KernelMirrorNames: Sendable {
    let owner: KernelMirrorOwner
    let tapID: String
    private let tapHash: UInt64

    init(owner: KernelMirrorOwner, tapID: String) {
        self.owner = owner
        self.tapID = tapID
        self.tapHash = Self.fnv1a(tapID)
    }

    /// The ends of the veth pair that carries the copies out of `namespace` (its reference): the host's
    /// end and the end in the workload's namespace.
    func veth(for namespace: String) -> (host: String, workload: String) {
        let hash = Self.hex(Self.fnv1a(owner.agent + "\u{0}" + tapID + "\u{0}" + namespace))
        return ("tpb" + hash, "tpa" + hash)
    }

    /// The alias of every interface made for the tap.
    var alias: String { owner.aliasPrefix + "tap " + tapID }

    /// The cookie of every action made for the tap: the agent's prefix, then 4 bytes of the tap's hash.
    var cookie: [UInt8] { owner.cookiePrefix + Self.bytes(tapHash, count: 4) }

    /// The handle of every filter made for the tap (the first 4 bytes of its hash, never 0 or 1 — 1 is the
    /// drop filters'): a delete by priority and handle then only ever removes the tap's own filter.
    var filterHandle: UInt32 {
        let handle = UInt32(truncatingIfNeeded: tapHash >> 32)
        return handle > 1 ? handle : handle + 2
    }

    /// The first `count` bytes of `value`, most significant first.
    static func bytes(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// Whether `name` is one of the interfaces the agent makes for mirrors: `tpv`, `tpa` or `tpb` and 12 hex digits.
    static func isMirrorInterface(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard utf8.count == 15, ["tpv", "tpa", "tpb"].contains(String(decoding: utf8[0..<3], as: UTF8.self)) else { return false }
        return utf8[3...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - digits.count)) + digits).prefix(12))
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
