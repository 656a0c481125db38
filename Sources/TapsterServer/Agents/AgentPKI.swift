import Foundation
import TapsterPKI
import TapsterStore

/// The agent channel's trust: the server's certificate authority (in `<data dir>/pki/`) and the
/// serial numbers of revoked agent certificates, which the channel's TLS refuses.
public struct AgentPKI: Sendable {
    public let authority: CertificateAuthority
    /// Kept in the store; this copy is what the TLS handshake consults, updated on every revocation.
    public let revocations: RevocationList

    public init(authority: CertificateAuthority, revocations: RevocationList) {
        self.authority = authority
        self.revocations = revocations
    }

    /// Loads the CA from `directory` (creating it on first start) and the revoked serials from `store`.
    public static func load(directory: URL, store: any Store, now: Date = Date()) async throws -> AgentPKI {
        let authority = try CertificateAuthority.loadOrCreate(in: directory, now: now)
        return AgentPKI(authority: authority, revocations: RevocationList(try await store.revokedSerials()))
    }
}
