import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import TapsterPKI
import TapsterWire

/// Handshake rejections one side reported, collected for assertions.
final class RejectionLog: Sendable {
    private let entries = Mutex<[HandshakeRejection]>([])

    /// The handler to give to ``AgentChannelTLS``.
    var handler: AgentChannelTLS.RejectionHandler {
        { rejection in self.entries.withLock { $0.append(rejection) } }
    }

    /// Everything reported so far.
    var all: [HandshakeRejection] { entries.withLock { $0 } }

    /// The distinct reasons reported (in order), once something has been or `deadline` has passed. A client
    /// may retry its connection before it gives up, and each attempt is refused for the same reason.
    func awaitAny(within deadline: Duration = .seconds(15)) async throws -> [HandshakeRejection] {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while all.isEmpty && clock.now < end {
            try await Task.sleep(for: .milliseconds(10))
        }
        return all.reduce(into: []) { distinct, rejection in
            if !distinct.contains(rejection) { distinct.append(rejection) }
        }
    }
}

/// Makes one Enroll call on a fresh connection with the given client security and agent name.
typealias EnrollCall = (HTTP2ClientTransport.Posix.TransportSecurity, String) async throws
    -> Tapster_Agent_V1_EnrollResponse

/// A real agent-channel server on 127.0.0.1 (an ephemeral port) with ``PeerReportingService``, running while
/// `body` runs; `body` gets a function that makes one Enroll call with the given client transport security.
@discardableResult
func withAgentChannelServer<T: Sendable>(
    authority: CertificateAuthority, security: HTTP2ServerTransport.Posix.TransportSecurity,
    _ body: (_ enroll: EnrollCall) async throws -> T
) async throws -> T {
    let transport = HTTP2ServerTransport.Posix(
        address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: security)
    let server = GRPCServer(transport: transport, services: [PeerReportingService(authority: authority)])
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        let outcome: Result<T, any Error>
        do {
            guard let port = try await server.listeningAddress?.ipv4?.port else {
                throw RPCError(code: .internalError, message: "the test server has no IPv4 listening address")
            }
            outcome = .success(try await body { clientSecurity, name in
                try await enrollOnce(port: port, security: clientSecurity, name: name)
            })
        } catch {
            outcome = .failure(error)
        }
        server.beginGracefulShutdown()
        try await group.waitForAll()
        return try outcome.get()
    }
}

/// One Enroll call on a fresh connection to 127.0.0.1:`port`, failing fast when the connection fails.
private func enrollOnce(
    port: Int, security: HTTP2ClientTransport.Posix.TransportSecurity, name: String
) async throws -> Tapster_Agent_V1_EnrollResponse {
    let transport = try HTTP2ClientTransport.Posix(
        target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security)
    return try await withGRPCClient(transport: transport) { client in
        let agentService = Tapster_Agent_V1_AgentService.Client(wrapping: client)
        var request = Tapster_Agent_V1_EnrollRequest()
        request.name = name
        request.joinToken = "not checked by the test service"
        var options = CallOptions.defaults
        options.waitForReady = false
        // A guard against a hung test, not a performance bound: while the whole suite starts at once on 2
        // cores, the server's handler waits behind hundreds of other tests' tasks in the cooperative pool —
        // calls that take 0.3 s alone have taken over 100 s there (and 45 s timed out in CI).
        options.timeout = .seconds(300)
        return try await agentService.enroll(request, options: options)
    }
}
