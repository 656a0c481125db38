import GRPCNIOTransportHTTP2

/// Where the server's agent endpoint is: `HOST:PORT`, `[IPv6]:PORT`, or a host alone (port 7381).
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The agent endpoint's port when none is given (`tapster serve --agent-listen`'s default).
    public static let defaultPort = 7381

    public var host: String
    public var port: Int

    public init(host: String, port: Int = ServerAddress.defaultPort) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[::1]:PORT` or `HOST`.
    public init(parsing text: String) throws(AgentError) {
        var host = Substring(text)
        var port = ServerAddress.defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalidServerAddress(text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else { throw .invalidServerAddress(text) }
                port = value
            }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            guard let value = Int(host[host.index(after: colon)...]) else { throw .invalidServerAddress(text) }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidServerAddress(text) }
        self.host = String(host)
        self.port = port
    }

    /// The gRPC target for this address.
    var target: any ResolvableTarget {
        if host.contains(":") { return .ipv6(address: host, port: port) }
        if isIPv4 { return .ipv4(address: host, port: port) }
        return .dns(host: host, port: port)
    }

    /// Whether the host is an IP address rather than a name to resolve.
    var isLiteral: Bool { host.contains(":") || isIPv4 }

    private var isIPv4: Bool {
        host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." })
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
