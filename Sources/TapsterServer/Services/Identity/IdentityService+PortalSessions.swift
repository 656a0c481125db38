import Foundation
import TapsterAPI
import TapsterCore
import TapsterStore

extension AuditAction {
    /// A portal session ended by its user.
    static let logout = "user.logout"
}

extension IdentityService {
    /// Portal sessions are API tokens of this name: stored hashed, with an expiry, listed with the user's tokens.
    static let portalSessionTokenName = "portal-session"
    /// How long a portal session lasts after login.
    static let portalSessionLifetime = TapDuration(seconds: 12 * 3_600)

    /// Signs a user in to the portal: checks the password (``checkPassword(name:password:source:)``
    /// audits failures), audits the login and issues a session token that expires after
    /// ``portalSessionLifetime``. Returns the session secret, shown only to the browser's cookie.
    func openPortalSession(name: String, password: String, source: String) async throws -> (secret: String, user: User) {
        let user = try await checkPassword(name: name, password: password, source: source)
        let issued = try await store.transaction { session in
            _ = try await session.appendAudit(
                AuditEntry(actor: user.name, action: AuditAction.loginSucceeded, objectType: ResourceKind.user.rawValue, objectId: user.id,
                           objectName: user.name, details: ["source": source, "via": "portal"]), at: now)
            return try await issueToken(for: user, name: Self.portalSessionTokenName, expiresIn: Self.portalSessionLifetime,
                                        by: user.principal, session: session)
        }
        return (issued.token, user)
    }

    /// Signs someone in to the portal whom an identity provider vouched for (the ID token of the portal's
    /// single sign-on): provisions them (``provision(_:source:)`` refuses and audits a person no rule maps),
    /// audits the login and issues a session token like a password login's.
    func openPortalSession(_ signIn: ExternalSignIn, source: String) async throws -> (secret: String, user: User) {
        let user = try await provision(signIn, source: source)
        let principal = user.principal(authenticatedBy: signIn.method)
        let issued = try await store.transaction { session in
            try await audit(session, principal, AuditAction.loginSucceeded, .user, id: user.id, name: user.name, tenant: nil,
                            details: ["source": source, "via": "portal"])
            return try await issueToken(for: user, name: Self.portalSessionTokenName, expiresIn: Self.portalSessionLifetime,
                                        by: principal, session: session)
        }
        return (issued.token, user)
    }

    /// Ends a portal session: deletes its token and audits the logout. Unknown secrets are ignored.
    func closePortalSession(_ secret: String, source: String) async throws {
        guard let (token, user) = try await store.findToken(secretHash: PasswordHasher.tokenHash(secret)) else { return }
        try await store.transaction { session in
            guard try await session.deleteToken(id: token.id, userID: user.id) else { return }
            try await audit(session, user.principal, AuditAction.logout, .user, id: user.id, name: user.name, tenant: nil,
                            details: ["source": source, "via": "portal"])
        }
    }
}
