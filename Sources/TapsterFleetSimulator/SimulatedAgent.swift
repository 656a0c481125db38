import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf
import Synchronization
import TapsterCore
import TapsterPKI
import TapsterWire

/// One simulated host's agent: the real agent's control channel without its data plane. It enrols with a
/// join token exactly as `tapster agent` does (self-signed bootstrap certificate, CA pinned by the token's
/// fingerprint, key material in its own directory), then keeps one mutual-TLS `Connect` stream open —
/// Hello, its inventory, a status report every ``statusInterval`` when it changed (``StatusPacing``) — and
/// "applies" every desired set the moment it arrives: it records it in the ``FleetLedger`` and reports each
/// tap `applied` (and a tap that left the set `stopped`, once), as the real reconciler does. No capture is started. When the stream
/// ends it reconnects with the real agent's backoff (250 ms doubling to 5 s, 20 % jitter).
public final class SimulatedAgent: Sendable {
    public let name: String
    public let host: SimulatedHost
    let endpoint: FleetEndpoint
    let directory: URL
    let ledger: FleetLedger
    let statusInterval: Duration

    /// What this agent runs, kept across reconnections as the real agent keeps its captures.
    private struct Applied {
        var revision: UInt64 = 0
        var taps: Set<String> = []
        /// Taps that left the set since the last status report: reported `stopped` once.
        var ended: [String] = []
    }

    private let keyStore = Mutex<AgentKeyStore?>(nil)
    private let applied = Mutex(Applied())

    init(name: String, host: SimulatedHost, endpoint: FleetEndpoint, directory: URL, ledger: FleetLedger, statusInterval: Duration) {
        self.name = name
        self.host = host
        self.endpoint = endpoint
        self.directory = directory
        self.ledger = ledger
        self.statusInterval = statusInterval
    }

    // MARK: Enrolment

    /// Enrols with `joinToken` (`Enroll` with the bootstrap certificate; the server's CA must be the one the
    /// token names), and keeps the issued certificate.
    public func enrol(joinToken: String) async throws {
        let token = try JoinToken(parsing: joinToken)
        var store = try AgentKeyStore.loadOrCreate(in: directory, agentName: name)
        let transport = try HTTP2ClientTransport.Posix(
            target: endpoint.target,
            transportSecurity: AgentChannelTLS.client(identity: .bootstrap(store), trust: .pinnedCA(token.caFingerprint)))
        var request = Tapster_Agent_V1_EnrollRequest()
        request.joinToken = joinToken
        request.name = name
        request.version = Self.version
        var options = CallOptions.defaults
        options.timeout = .seconds(60)
        let response = try await withGRPCClient(transport: transport) { client in
            try await Tapster_Agent_V1_AgentService.Client(wrapping: client).enroll(request, options: options)
        }
        try store.saveEnrolment(certificatePEM: response.certificatePem, caCertificatePEM: response.caCertificatePem,
                                expectedCAFingerprint: token.caFingerprint)
        keyStore.withLock { $0 = store }
    }

    /// The version it reports (`Hello`, enrolment).
    static let version = "fleet-simulator"

    // MARK: Control channel

    /// Keeps the control channel open, reconnecting with backoff, until the task is cancelled.
    func run() async {
        var delay = Self.initialDelay
        while !Task.isCancelled {
            let established = Atomic(false)
            let began = Date()
            do {
                try await connect { established.store(true, ordering: .relaxed) }
                if !Task.isCancelled { ledger.failed(name, began: began, at: Date(), reason: "the server ended the stream") }
            } catch {
                if Task.isCancelled { break }
                ledger.failed(name, began: began, at: Date(), reason: Self.describe(error))
            }
            if established.load(ordering: .relaxed) { delay = Self.initialDelay }
            try? await Task.sleep(for: delay * Double.random(in: 0.8...1.0))
            delay = min(delay * 2, Self.maximumDelay)
        }
    }

    /// The real agent's reconnection delays (`Backoff`'s defaults).
    static let initialDelay: Duration = .milliseconds(250)
    static let maximumDelay: Duration = .seconds(5)

    /// One `Connect` stream, until it ends; `onEstablished` when its first desired set arrives.
    private func connect(onEstablished: @escaping @Sendable () -> Void) async throws {
        guard let store = keyStore.withLock({ $0 }), let enrolled = store.enrolled else {
            throw PKIError.notEnrolled(directory: directory.path)
        }
        let transport = try HTTP2ClientTransport.Posix(
            target: endpoint.target,
            transportSecurity: AgentChannelTLS.client(identity: try .enrolled(store), trust: .ca(pem: enrolled.caCertificatePEM)))
        try await withGRPCClient(transport: transport) { client in
            let request = StreamingClientRequest(of: Tapster_Agent_V1_AgentMessage.self) { writer in
                try await writer.write(.with { $0.hello = self.hello() })
                try await writer.write(.with { $0.inventory = self.host.inventory })
                // As the real agent: a report each `statusInterval` when it changed, otherwise each heartbeat.
                var pacing = StatusPacing()
                let clock = ContinuousClock()
                while true {
                    try await Task.sleep(for: self.statusInterval)
                    let report = self.statusReport()
                    if pacing.shouldSend(report, at: clock.now) { try await writer.write(.with { $0.status = report }) }
                }
            }
            try await Tapster_Agent_V1_AgentService.Client(wrapping: client).connect(request: request) { response in
                var first = true
                for try await message in response.messages {
                    guard case .desired(let desired) = message.kind else { continue }
                    // The edge, as on the real agent: the set becomes Core's values once.
                    self.apply(DesiredTapSet(desired), firstOnChannel: first)
                    if first {
                        first = false
                        onEstablished()
                    }
                }
            }
        }
    }

    private func apply(_ desired: DesiredTapSet, firstOnChannel: Bool) {
        let taps = Set(desired.taps.map(\.tapID))
        applied.withLock { state in
            state.ended += state.taps.subtracting(taps).sorted()
            state.taps = taps
            state.revision = desired.revision
        }
        ledger.received(taps, by: name, at: Date(), firstOnChannel: firstOnChannel)
    }

    private func hello() -> Tapster_Agent_V1_Hello {
        .with {
            $0.version = Self.version
            $0.hostname = name
            $0.appliedRevision = applied.withLock { $0.revision }
        }
    }

    /// Every tap of the set `applied` (no packets: nothing is captured), and the ended ones `stopped`.
    private func statusReport() -> Tapster_Agent_V1_StatusReport {
        applied.withLock { state in
            defer { state.ended = [] }
            return .with { report in
                report.revision = state.revision
                report.taps = state.taps.sorted().map { id in .with { $0.tapID = id; $0.state = .applied } }
                    + state.ended.map { id in .with { $0.tapID = id; $0.state = .stopped; $0.reason = "removed" } }
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        // The cause says what failed below gRPC (refused, reset, timed out, the TLS handshake).
        if let error = error as? RPCError { return "\(error.code): \(error.message)" + (error.cause.map { " (\($0))" } ?? "") }
        return "\(error)"
    }
}

/// Where the simulated agents reach the server's agent channel: an IPv4 or IPv6 literal and a port.
public struct FleetEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host, port: port)
    }

    var target: any ResolvableTarget {
        host.contains(":") ? .ipv6(address: host, port: port) : .ipv4(address: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
