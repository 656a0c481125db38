import GRPCCore
import GRPCNIOTransportHTTP2
import TapsterPKI

/// Opens connections to a replica's agent endpoint with the enrolled certificate, trusting only the CA the
/// agent received at enrolment (every replica presents a certificate of that one CA). The control channel
/// connects to the rotation's replica; a capture upload to the replica its plan names, or to the control
/// channel's when it names none.
struct AgentConnector: Sendable {
    let rotation: ServerRotation
    let keyStore: AgentKeyStore
    let enrolled: EnrolledIdentity

    /// A connection to `server`.
    func transport(to server: ServerAddress) throws -> HTTP2ClientTransport.Posix {
        try HTTP2ClientTransport.Posix(
            target: server.target,
            transportSecurity: AgentChannelTLS.client(identity: try .enrolled(keyStore), trust: .ca(pem: enrolled.caCertificatePEM)))
    }

    /// Where a capture's packets go: the replica named by its plan (`HOST:PORT`), or the control
    /// channel's replica when none is named or the name is not an address.
    func uploadServer(named replicaAddress: String?) -> ServerAddress {
        replicaAddress.flatMap { try? ServerAddress(parsing: $0) } ?? rotation.current
    }
}
