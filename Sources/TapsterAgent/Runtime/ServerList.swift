#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TapsterCore
import Glibc

/// The server replicas an agent may connect to: `tapster agent --server a:7381,b:7381`, or one DNS name
/// with several A/AAAA records (each a replica), or both. Any replica will do — they share one database
/// and one CA — so the agent picks one and moves to another when it fails (``ServerRotation``).
public struct ServerList: Sendable, Hashable, CustomStringConvertible {
    /// The addresses as given, in order, without repeats; never empty.
    public let addresses: [ServerAddress]

    /// A list of one address.
    public init(_ address: ServerAddress) {
        addresses = [address]
    }

    /// A list of these addresses (repeats removed); `invalidServerAddress` when there are none.
    public init(_ addresses: [ServerAddress]) throws(AgentError) {
        var seen = Set<ServerAddress>()
        let unique = addresses.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { throw .invalidServerAddress("") }
        self.addresses = unique
    }

    /// Parses `ADDRESS[,ADDRESS…]`, each `HOST:PORT`, `[IPv6]:PORT` or `HOST` (spaces around commas allowed).
    public init(parsing text: String) throws(AgentError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimming(.whitespaces) }
        guard !parts.contains(where: \.isEmpty) else { throw .invalidServerAddress(text) }
        var addresses: [ServerAddress] = []
        for part in parts { addresses.append(try ServerAddress(parsing: part)) }
        try self.init(addresses)
    }

    /// Every address to try: each IP literal as it is, each DNS name expanded into one address per A/AAAA
    /// record (in the resolver's order, without repeats). A name that does not resolve is kept as it is,
    /// so that the connection attempt reports why. Called before each round of attempts, so records that
    /// change (a replica added or removed) are followed.
    public func resolved(using resolve: (String) -> [String] = ServerList.resolve) -> [ServerAddress] {
        var seen = Set<ServerAddress>()
        var result: [ServerAddress] = []
        for address in addresses {
            let hosts = address.isLiteral ? [] : resolve(address.host)
            for host in hosts.isEmpty ? [address.host] : hosts {
                let candidate = ServerAddress(host: host, port: address.port)
                if seen.insert(candidate).inserted { result.append(candidate) }
            }
        }
        return result
    }

    /// The IPv4 and IPv6 addresses of `name` (getaddrinfo), textual; none when it does not resolve.
    public static func resolve(_ name: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        // No socket-type hint: each address then comes once per type, and repeats are dropped below.
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var hosts: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if let address = current.pointee.ai_addr,
               getnameinfo(address, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !hosts.contains(host) { hosts.append(host) }
            }
            entry = current.pointee.ai_next
        }
        return hosts
    }

    public var description: String { addresses.map(\.description).joined(separator: ",") }
}
