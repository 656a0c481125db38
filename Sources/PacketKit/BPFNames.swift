import Dispatch
import Synchronization

/// The words of a filter expression that libpcap would resolve as names — host names (`host db.example`),
/// networks (`net office`), service names (`port http`), `/etc/ethers` entries (`ether host gw`),
/// protocol names (`ip proto \ospf`, `protochain ospf`) — through NSS: blocking look-ups (DNS, LDAP…) in
/// whatever network namespace compiles them, and an oracle for whoever wrote the expression.
///
/// Scans the expression as libpcap's lexer does (a word is `[A-Za-z0-9_][-_.:A-Za-z0-9]*`, `\word`
/// escapes a keyword into a name) and reports every word that is neither one of libpcap's keywords
/// or named constants (`tcp`, `port`, `tcp-syn`, `icmp-echo`, …) nor a number, an IPv4/IPv6 address,
/// a MAC address or a numeric range. Conservative: anything it does not know is a name.
public enum BPFNames {
    /// The name-bearing words of `expression`, in order (empty when it uses numbers and keywords only).
    public static func find(in expression: String) -> [String] {
        var names: [String] = []
        let characters = Array(expression.unicodeScalars)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let escaped = character == "\\"
            let start = escaped ? index + 1 : index
            guard start < characters.count, isWordStart(characters[start]) else {
                index += 1
                continue
            }
            var end = start + 1
            while end < characters.count, isWordPart(characters[end]) { end += 1 }
            let word = String(String.UnicodeScalarView(characters[start..<end]))
            if escaped || !isLiteral(word) { names.append(escaped ? "\\" + word : word) }
            index = end
        }
        return names
    }

    private static func isWordStart(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_"
    }

    private static func isWordPart(_ c: Unicode.Scalar) -> Bool {
        isWordStart(c) || c == "-" || c == "." || c == ":"
    }

    /// Whether `word` is a keyword, a named constant or a numeric literal (no look-up).
    static func isLiteral(_ word: String) -> Bool {
        let lower = word.lowercased()
        if keywords.contains(lower) { return true }
        let hex = Set("0123456789abcdef")
        // Decimal and hex numbers, dotted IPv4 addresses and networks (10, 10.1, 10.1.2.3), numeric ranges (1000-2000).
        if lower.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }), lower.first?.isNumber == true { return true }
        if lower.hasPrefix("0x"), lower.count > 2, lower.dropFirst(2).allSatisfy(hex.contains) { return true }
        // IPv6 addresses (with an embedded IPv4 tail) and MAC addresses: hex digits with ':' (or '.'/'-' in MACs).
        if lower.contains(":"), lower.allSatisfy({ hex.contains($0) || $0 == ":" || $0 == "." }) { return true }
        let groups = lower.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "-" })
        if groups.count == 6, groups.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(hex.contains) }) { return true }
        if groups.count == 3, lower.contains("."), groups.allSatisfy({ $0.count == 4 && $0.allSatisfy(hex.contains) }) { return true }
        return false
    }

    /// libpcap's keywords and named constants (scanner.l), lower-case.
    static let keywords: Set<String> = [
        "dst", "src", "host", "gateway", "net", "netmask", "port", "portrange", "less", "greater", "proto", "protochain",
        "byte", "broadcast", "multicast", "and", "or", "not", "len", "inbound", "outbound", "ifindex", "link", "ether",
        "ppp", "slip", "fddi", "tr", "wlan", "arp", "rarp", "ip", "sctp", "tcp", "udp", "icmp", "igmp", "igrp", "pim", "vrrp",
        "carp", "radio", "ip6", "icmp6", "ah", "esp", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "iso",
        "esis", "es-is", "isis", "is-is", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp", "clnp", "stp", "ipx", "netbeui",
        "vlan", "mpls", "pppoed", "pppoes", "geneve", "vxlan", "lane", "llc", "metac", "bcc", "oam", "oamf4", "oamf4ec",
        "oamf4sc", "sc", "ilmic", "vpi", "vci", "connectmsg", "metaconnect", "on", "ifname", "rnr", "rulenum", "reason",
        "rset", "srnr", "subrulenum", "action", "type", "subtype", "direction", "dir", "addr1", "addr2", "addr3", "addr4",
        "ra", "ta", "hdpe", "fisu", "lssu", "msu", "hfisu", "hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc",
        "hdpc", "hsls", "i", "s", "u", "rr", "rej", "ui", "ua", "disc", "dm", "sabme", "test", "xid", "frmr",
        // Offsets and flag constants (`tcp[tcpflags] & tcp-syn`, `icmp[icmptype] = icmp-echo`).
        "icmptype", "icmpcode", "icmp-echoreply", "icmp-unreach", "icmp-sourcequench", "icmp-redirect", "icmp-echo",
        "icmp-routeradvert", "icmp-routersolicit", "icmp-timxceed", "icmp-paramprob", "icmp-tstamp", "icmp-tstampreply",
        "icmp-ireq", "icmp-ireqreply", "icmp-maskreq", "icmp-maskreply", "icmp6type", "icmp6code", "icmp6-destinationunreach",
        "icmp6-packettoobig", "icmp6-timeexceeded", "icmp6-parameterproblem", "icmp6-echo", "icmp6-echoreply",
        "icmp6-multicastlistenerquery", "icmp6-multicastlistenerreportv1", "icmp6-multicastlistenerdone",
        "icmp6-routersolicit", "icmp6-routeradvert", "icmp6-neighborsolicit", "icmp6-neighboradvert", "icmp6-redirect",
        "tcpflags", "tcp-fin", "tcp-syn", "tcp-rst", "tcp-push", "tcp-ack", "tcp-urg", "tcp-ece", "tcp-cwr",
        // 802.11 `type`/`subtype` and pflog `action` values.
        "mgt", "ctl", "data", "assoc-req", "assoc-resp", "reassoc-req", "reassoc-resp", "probe-req", "probe-resp",
        "beacon", "atim", "disassoc", "auth", "deauth", "ps-poll", "rts", "cts", "ack", "cf-end", "cf-end-ack",
        "data-cf-ack", "data-cf-poll", "data-cf-ack-poll", "null", "cf-ack", "cf-poll", "cf-ack-poll", "qos-data",
        "qos-data-cf-ack", "qos-data-cf-poll", "qos-data-cf-ack-poll", "qos", "qos-cf-poll", "qos-cf-ack-poll",
        "nods", "tods", "fromds", "dstods", "pass", "block", "nat", "rdr", "binat", "scrub", "match",
    ]
}

extension BPFProgram {
    /// The queue expressions are compiled on: never the cooperative thread pool, which a compile that
    /// resolves a name (DNS) would block.
    static let compileQueue = DispatchQueue(label: "tapster.bpf-compile", qos: .userInitiated, attributes: .concurrent)

    /// ``compile(_:linkType:snaplen:optimize:)`` on a dedicated queue, waiting at most `timeout`: a
    /// compile still running then (a name look-up hanging) is abandoned with a ``BPFCompileError``
    /// saying so; its thread finishes on its own.
    public static func compileOffPool(_ expression: String, linkType: LinkType = .ethernet, snaplen: Int32 = BPFProgram.defaultSnaplen,
                                      timeout: Duration = .seconds(5)) async throws(BPFCompileError) -> BPFProgram {
        let once = CompileOnce()
        let result: Result<BPFProgram, BPFCompileError> = await withCheckedContinuation { continuation in
            once.set(continuation)
            compileQueue.async {
                let outcome: Result<BPFProgram, BPFCompileError>
                do throws(BPFCompileError) {
                    outcome = .success(try compile(expression, linkType: linkType, snaplen: snaplen))
                } catch {
                    outcome = .failure(error)
                }
                once.resume(outcome)
            }
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            compileQueue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
                once.resume(.failure(BPFCompileError(message: "compiling the expression took longer than \(timeout) (a name look-up?)",
                                                     expression: expression)))
            }
        }
        return try result.get()
    }
}

/// Resumes a continuation once: with the compile's outcome or the timeout, whichever comes first.
private final class CompileOnce: Sendable {
    private let continuation = Mutex<CheckedContinuation<Result<BPFProgram, BPFCompileError>, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Result<BPFProgram, BPFCompileError>, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(_ result: Result<BPFProgram, BPFCompileError>) {
        continuation.withLock { slot in
            let taken = slot
            slot = nil
            return taken
        }?.resume(returning: result)
    }
}
