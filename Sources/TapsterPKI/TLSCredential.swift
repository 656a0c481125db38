import GRPCNIOTransportHTTP2

/// A certificate chain (leaf first) and the leaf's private key, as PEM: what one side of the agent channel
/// presents in the TLS handshake. Works with both `HTTP2ServerTransport.Posix` and `HTTP2ClientTransport.Posix`.
public struct TLSCredential: Hashable, Sendable {
    /// The certificates, leaf first, each as PEM.
    public var certificateChainPEM: [String]
    /// The leaf's private key as PEM.
    public var privateKeyPEM: String

    /// A credential from PEM texts; the chain leaf first.
    public init(certificateChainPEM: [String], privateKeyPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// The chain as gRPC transport certificate sources.
    public var certificateSources: [TLSConfig.CertificateSource] {
        certificateChainPEM.map { .bytes(Array($0.utf8), format: .pem) }
    }

    /// The key as a gRPC transport private key source.
    public var privateKeySource: TLSConfig.PrivateKeySource {
        .bytes(Array(privateKeyPEM.utf8), format: .pem)
    }
}
