import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import ServiceLifecycle
import TapsterCore
import TapsterPKI

/// Where the agent channel listens, and the extra names its certificate carries.
public struct AgentChannelConfiguration: Sendable, Equatable {
    /// The default port of the agent channel (the API's is 7380).
    public static let defaultPort = 7381

    public var host: String
    /// 0 asks the system for a free port.
    public var port: Int
    /// Further DNS names or IP addresses in the server certificate (`--agent-tls-san`), besides
    /// `localhost`, `127.0.0.1`, `::1`, the listen host and the machine's host name.
    public var extraNames: [String]

    public init(host: String = "127.0.0.1", port: Int = AgentChannelConfiguration.defaultPort, extraNames: [String] = []) {
        self.host = host
        self.port = port
        self.extraNames = extraNames
    }

    /// Whether the host means every address (`0.0.0.0`, `::`).
    var isWildcard: Bool { ["0.0.0.0", "::", "[::]", "*"].contains(host) }

    /// The DNS names and IP addresses of the server certificate: the defaults, the listen host
    /// (unless a wildcard), `hostName`, and the extra names; each once.
    func certificateNames(hostName: String) -> (dnsNames: [String], ipAddresses: [String]) {
        var dns: [String] = [], ips: [String] = []
        for name in ["localhost", "127.0.0.1", "::1", isWildcard ? nil : host, hostName].compactMap({ $0 }) + extraNames {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            if (try? IPAddress(parsing: trimmed)) != nil {
                if !ips.contains(trimmed) { ips.append(trimmed) }
            } else if !dns.contains(trimmed.lowercased()) {
                dns.append(trimmed.lowercased())
            }
        }
        return (dns, ips)
    }

    /// `HOST:PORT` as agents are told to reach it: the host name when listening on every address.
    func advertised(port: Int, hostName: String) -> String {
        let host = isWildcard ? hostName : self.host
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// The agent channel: a gRPC server (HTTP/2, mutual TLS with the server's CA) serving
/// ``AgentService``, run as a service beside the HTTP server. On start it issues itself a fresh
/// server certificate; once it listens it tells the hub its address and calls `onListening`.
public struct AgentChannel: Service {
    let controlPlane: ControlPlane
    let pki: AgentPKI
    let configuration: AgentChannelConfiguration
    let logger: Logger
    /// Called with the advertised `HOST:PORT` once the channel listens.
    let onListening: @Sendable (String) -> Void

    public init(controlPlane: ControlPlane, pki: AgentPKI, configuration: AgentChannelConfiguration, logger: Logger,
                onListening: @escaping @Sendable (String) -> Void = { _ in }) {
        self.controlPlane = controlPlane
        self.pki = pki
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let hostName = AgentChannel.hostName
        let names = configuration.certificateNames(hostName: hostName)
        let credential = try pki.authority.issueServerCertificate(dnsNames: names.dnsNames, ipAddresses: names.ipAddresses)
        let logger = self.logger
        let security = try AgentChannelTLS.server(credential: credential, authority: pki.authority, revocations: pki.revocations) { rejection in
            logger.notice("agent channel refused a TLS handshake", metadata: ["reason": "\(rejection)"])
        }
        var config = HTTP2ServerTransport.Posix.Config.defaults
        // A control channel is quiet only if its agent vanished (it reports at least every 10 s): find out soon.
        config.connection.keepalive = .init(time: Self.keepaliveTime, timeout: .seconds(10), clientBehavior: .init(
            minPingIntervalWithoutCalls: .seconds(10), allowWithoutCalls: true))
        // Each connection's decrypted reads passed on as copies of their own size: otherwise the TLS handler's
        // 32 KiB read buffer is shared with the HTTP/2 decoder and copied whole for every message (and two such
        // buffers kept per agent). The callback is the transport's one way into a connection's pipeline.
        config.channelDebuggingCallbacks.onAcceptTCPConnection = { AgentChannelTLS.compactPlaintextReads(on: $0) }
        // Runs in the listener's initializer, before it binds and listens: the one place its backlog can be set.
        config.channelDebuggingCallbacks.onBindTCPListener = { $0.setOption(ChannelOptions.backlog, value: Self.listenBacklog) }
        let transport = HTTP2ServerTransport.Posix(address: try bindAddress(), transportSecurity: security, config: config)
        let server = GRPCServer(transport: transport, services: [AgentService(controlPlane: controlPlane, pki: pki, logger: logger)])
        let listen = "\(configuration.host):\(configuration.port)"
        let hub = controlPlane.agentHub
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await withGracefulShutdownHandler {
                    do {
                        try await server.serve()
                    } catch {
                        throw TapsterError(.unavailable, "cannot listen for agents on \(listen): \(Self.cause(of: error))")
                    }
                } onGracefulShutdown: {
                    server.beginGracefulShutdown()
                    // Open control channels would keep the server up; agents reconnect to the next server.
                    Task { await hub.closeAll(with: RPCError(code: .unavailable, message: "the server is shutting down")) }
                }
            }
            guard let port = try? await transport.listeningAddress.port else { return }
            let advertised = configuration.advertised(port: port, hostName: hostName)
            await hub.setEndpoint(advertised)
            logger.info("agent channel listening", metadata: ["address": "\(advertised)", "ca": "\(pki.authority.fingerprint)"])
            onListening(advertised)
        }
    }

    /// How long a connection may be silent before the server pings it (and closes it without an answer).
    static let keepaliveTime: Duration = .seconds(30)

    /// The agent listener's accept queue (the kernel caps it at `net.core.somaxconn`, 4096 by default). With NIO's
    /// default of 128, one reconnect of 10,000 agents after a restart made the kernel turn connections away 38,586
    /// times (`ListenOverflows`), and 828 agents gave up on gRPC's 10 s connect timeout while their SYNs were retried;
    /// with 4096, none (Benchmarks/README.md, "10,000 agents measured, not extrapolated").
    static let listenBacklog: Int32 = 4096

    /// The listen address, its host resolved when it is a name.
    private func bindAddress() throws -> GRPCNIOTransportCore.SocketAddress {
        var host = configuration.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "*" { host = "0.0.0.0" }
        if (try? IPAddress(parsing: host)) == nil {
            do {
                host = try NIOCore.SocketAddress.makeAddressResolvingHost(host, port: configuration.port).ipAddress ?? host
            } catch {
                throw TapsterError(.unavailable, "cannot listen for agents on \(configuration.host):\(configuration.port): \(error)")
            }
        }
        return host.contains(":") ? .ipv6(host: host, port: configuration.port) : .ipv4(host: host, port: configuration.port)
    }

    /// The machine's host name (first label), for the certificate and the advertised address.
    static var hostName: String {
        ProcessInfo.processInfo.hostName.split(separator: ".").first.map { String($0).lowercased() } ?? "localhost"
    }

    /// The innermost cause of a transport failure, e.g. `Address already in use`.
    private static func cause(of error: any Error) -> String {
        var current: any Error = error
        while let runtime = current as? RuntimeError, let cause = runtime.cause { current = cause }
        if let io = current as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(current)"
    }
}

extension GRPCNIOTransportCore.SocketAddress {
    /// The port of an IP address.
    var port: Int? { ipv4?.port ?? ipv6?.port }
}
