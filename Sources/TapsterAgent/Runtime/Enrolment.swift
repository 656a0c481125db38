#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import TapsterPKI
import TapsterWire

/// First contact with the server, as `kubeadm join` does it: the agent trusts the server only if its chain
/// holds the CA whose fingerprint the join token carries, presents a self-signed bootstrap certificate, and
/// receives a client certificate for that key, which it keeps in its data directory. Any replica enrols (they
/// share the CA); one that cannot be reached is followed by the next, once each.
enum Enrolment {
    static func enrol(settings: AgentSettings, rotation: ServerRotation, keyStore: inout AgentKeyStore, logger: Logger) async throws {
        guard let text = settings.joinToken else {
            throw AgentError.joinTokenRequired(dataDirectory: settings.dataDirectory.path)
        }
        let token: JoinToken
        do {
            token = try JoinToken(parsing: text)
        } catch {
            throw AgentError.invalidJoinToken(String(describing: error))
        }
        var request = Tapster_Agent_V1_EnrollRequest()
        request.joinToken = text
        request.name = settings.name
        request.version = AgentVersion.current
        let attempts = max(1, settings.servers.resolved().count)
        var unreachable: [String] = []
        for _ in 0..<attempts {
            let server = rotation.next()
            let transport = try HTTP2ClientTransport.Posix(
                target: server.target,
                transportSecurity: AgentChannelTLS.client(identity: .bootstrap(keyStore), trust: .pinnedCA(token.caFingerprint)))
            let response: Tapster_Agent_V1_EnrollResponse
            do {
                response = try await withGRPCClient(transport: transport) { client in
                    try await Tapster_Agent_V1_AgentService.Client(wrapping: client).enroll(request, options: .enrolment)
                }
            } catch let error as RPCError {
                switch error.code {
                case .unavailable, .deadlineExceeded:
                    logger.warning("cannot reach a replica to enrol; trying the next", metadata: ["server": "\(server)", "reason": "\(error.message)"])
                    unreachable.append("\(server): \(error.message)")
                    continue
                default:
                    throw AgentError.enrolmentRefused(error.message)
                }
            }
            try keyStore.saveEnrolment(certificatePEM: response.certificatePem, caCertificatePEM: response.caCertificatePem)
            logger.info("enrolled", metadata: ["agent": "\(settings.name)", "id": "\(response.agentID)", "server": "\(server)"])
            return
        }
        throw AgentError.serverUnreachable(server: settings.servers.description, reason: unreachable.joined(separator: "; "))
    }
}

extension CallOptions {
    /// Enrolment gives up after 15 s rather than waiting forever for an unreachable server.
    static var enrolment: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(15)
        return options
    }
}
