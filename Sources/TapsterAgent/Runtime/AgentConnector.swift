import GRPCCore
import GRPCNIOTransportHTTP2
import TapsterPKI

/// Opens connections to the server's agent endpoint with the enrolled certificate, trusting only the CA the
/// agent received at enrolment. The control channel and every capture upload use it.
struct AgentConnector: Sendable {
    let server: ServerAddress
    let keyStore: AgentKeyStore
    let enrolled: EnrolledIdentity

    func transport() throws -> HTTP2ClientTransport.Posix {
        try HTTP2ClientTransport.Posix(
            target: server.target,
            transportSecurity: AgentChannelTLS.client(identity: try .enrolled(keyStore), trust: .ca(pem: enrolled.caCertificatePEM)))
    }
}
