import Foundation
import GRPCCore
import TapsterPKI
import TapsterWire

/// A minimal agent service for the handshake tests. `enroll` reports what ``AgentPeer/identify`` saw in
/// `agentID`: `enrolled:<name>:<serial>` or `bootstrap`; for a bootstrap caller it also does what the real
/// server does, issuing a certificate for the bootstrap key under the requested name.
struct PeerReportingService: Tapster_Agent_V1_AgentService.SimpleServiceProtocol {
    let authority: CertificateAuthority

    func enroll(
        request: Tapster_Agent_V1_EnrollRequest, context: ServerContext
    ) async throws -> Tapster_Agent_V1_EnrollResponse {
        var response = Tapster_Agent_V1_EnrollResponse()
        switch AgentPeer.identify(context, authority: authority, now: Date()) {
        case .enrolled(let name, let serial):
            response.agentID = "enrolled:\(name):\(serial)"
        case .bootstrap(let publicKey):
            let issued = try authority.issueAgentCertificate(name: request.name, publicKey: publicKey, now: Date())
            response.agentID = "bootstrap"
            response.certificatePem = issued.pem
            response.caCertificatePem = authority.certificatePEM
        case nil:
            throw RPCError(code: .unauthenticated, message: "no acceptable client certificate")
        }
        return response
    }

    func connect(
        request: RPCAsyncSequence<Tapster_Agent_V1_AgentMessage, any Error>,
        response: RPCWriter<Tapster_Agent_V1_ServerMessage>, context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "not part of the PKI tests")
    }

    func sendPackets(
        request: RPCAsyncSequence<Tapster_Agent_V1_PacketBatch, any Error>, context: ServerContext
    ) async throws -> Tapster_Agent_V1_PacketReceipt {
        throw RPCError(code: .unimplemented, message: "not part of the PKI tests")
    }
}
