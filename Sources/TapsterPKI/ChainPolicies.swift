#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import X509

/// What the server accepts from agents: a certificate issued by its CA (valid, for client authentication, not
/// revoked), or a lone self-signed bootstrap certificate (valid, not a CA), good only for Enroll.
struct AgentChainPolicy: Sendable {
    /// What an accepted chain was.
    enum Accepted: Equatable {
        /// Issued by the CA: the validated chain is the leaf and the CA certificate.
        case issued
        /// A self-signed bootstrap certificate: the validated chain is the leaf alone.
        case bootstrap
    }

    let authority: Certificate
    let revocations: RevocationList

    func evaluate(_ presented: [Certificate], at now: Date) -> Result<Accepted, HandshakeRejection> {
        guard let leaf = presented.first else { return .failure(.noCertificate) }
        if leaf.isSigned(by: authority) {
            if let rejection = validity(of: authority, at: now) ?? validity(of: leaf, at: now) {
                return .failure(rejection)
            }
            guard !leaf.isCertificateAuthority else {
                return .failure(.certificateAuthorityAsLeaf(subject: leaf.subject.description))
            }
            guard leaf.allows(.clientAuth) else {
                return .failure(.missingExtendedKeyUsage(subject: leaf.subject.description, required: "clientAuth"))
            }
            guard !revocations.contains(serial: leaf.serialHex) else {
                return .failure(.revoked(serial: leaf.serialHex))
            }
            return .success(.issued)
        }
        if leaf.isSelfSigned {
            guard presented.count == 1 else { return .failure(.bootstrapChainTooLong(count: presented.count)) }
            guard !leaf.isCertificateAuthority else {
                return .failure(.certificateAuthorityAsLeaf(subject: leaf.subject.description))
            }
            if let rejection = validity(of: leaf, at: now) { return .failure(rejection) }
            return .success(.bootstrap)
        }
        return .failure(.notIssuedByTrustedCA(subject: leaf.subject.description))
    }
}

/// What an agent accepts from the server: a leaf for server authentication, issued by the trusted CA, both
/// valid. The CA is either given or found in the presented chain by its pinned fingerprint. No host name check.
struct ServerChainPolicy: Sendable {
    let trust: ServerTrust
    /// The CA certificate parsed from ``ServerTrust/ca(pem:)``.
    let givenAuthority: Certificate?

    init(trust: ServerTrust) throws(PKIError) {
        self.trust = trust
        switch trust {
        case .pinnedCA:
            givenAuthority = nil
        case .ca(let pem):
            givenAuthority = try Certificate.parse(pem: pem, source: "the trusted CA certificate")
        }
    }

    /// The CA that issued the leaf, or why the chain is refused.
    func evaluate(_ presented: [Certificate], at now: Date) -> Result<Certificate, HandshakeRejection> {
        guard let leaf = presented.first else { return .failure(.noCertificate) }
        let authority: Certificate
        switch trust {
        case .pinnedCA(let fingerprint):
            guard let pinned = presented.first(where: { CertificateFingerprint($0) == fingerprint }) else {
                return .failure(.pinnedCANotPresented(fingerprint))
            }
            authority = pinned
        case .ca:
            authority = givenAuthority!
        }
        guard leaf.isSigned(by: authority) else {
            return .failure(.notIssuedByTrustedCA(subject: leaf.subject.description))
        }
        if let rejection = validity(of: authority, at: now) ?? validity(of: leaf, at: now) {
            return .failure(rejection)
        }
        guard leaf.allows(.serverAuth) else {
            return .failure(.missingExtendedKeyUsage(subject: leaf.subject.description, required: "serverAuth"))
        }
        return .success(authority)
    }
}

/// Why `certificate` is not valid at `now`, nil if it is.
private func validity(of certificate: Certificate, at now: Date) -> HandshakeRejection? {
    if now < certificate.notValidBefore {
        return .notYetValid(subject: certificate.subject.description, notValidBefore: certificate.notValidBefore)
    }
    if now > certificate.notValidAfter {
        return .expired(subject: certificate.subject.description, notValidAfter: certificate.notValidAfter)
    }
    return nil
}
