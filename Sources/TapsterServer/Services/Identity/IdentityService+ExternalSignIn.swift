import Foundation
import TapsterAPI
import TapsterCore
import TapsterStore

extension AuditAction {
    /// Someone an identity provider vouched for was refused: no role mapping matched, their Tapster account is
    /// disabled, or their name is another account's (details: the provider, identity and reason).
    static let externalSignInRefused = "user.sign_in_refused"
}

extension IdentityService {
    /// The user an identity provider's sign-in stands for, created on first sign-in and brought in line with
    /// the provider's claims at every later one (just in time): a role or tenant the claims no longer give is
    /// taken away at once — through ``updateUser(_:_:_:keepingSession:)``, which also stops the taps and
    /// capture readings the user may no longer hold. Refusals are audited and thrown as `forbidden`.
    func provision(_ signIn: ExternalSignIn, source: String) async throws -> User {
        let identity = signIn.identity
        guard let access = signIn.access else {
            try await refuse(signIn, source: source, reason: "no role mapping matched",
                             message: "\(signIn.userName) signed in at \(identity.provider), but no role mapping gives them access to Tapster"
                                + (signIn.refusalDetail.isEmpty ? "" : " (\(signIn.refusalDetail))")
                                + "; an admin maps the provider's groups or roles to Tapster roles")
        }
        let existing = try await store.findUser(externalKey: identity.key)
        if existing == nil, let holder = try await store.findUser(signIn.userName) {
            let whose = holder.external.map { "a user of \($0.provider)" } ?? "a local account"
            try await refuse(signIn, source: source, reason: "name taken",
                             message: "the user name \(signIn.userName) belongs to \(whose) in Tapster; an admin renames one of them")
        }
        if let existing, existing.disabled {
            try await refuse(signIn, source: source, reason: "disabled", message: "user \(existing.name) is disabled in Tapster")
        }
        // Only once the person is admitted: a refused sign-in creates nothing.
        try await createMissingTenants(access.tenants, for: signIn)
        if let existing {
            return try await bringInLine(existing, with: signIn, access: access, source: source)
        }
        let spec = try UserSpec(name: signIn.userName, role: access.role, tenants: access.tenants).validated()
        let user = User(spec: spec, external: identity, createdAt: now)
        do {
            try await store.transaction { session in
                try await session.insertUser(user, passwordHash: nil)
                try await audit(session, .system, AuditAction.created("user"), .user, id: user.id, name: user.name, tenant: nil,
                                details: ["role": spec.role.rawValue, "tenants": spec.tenants.joined(separator: ","),
                                          "via": signIn.method.auditName, "identity": identity.key])
            }
        } catch let error as TapsterError where error.code == .alreadyExists {
            // The same person's first two requests at once: the other one created the user.
            guard let created = try await store.findUser(externalKey: identity.key) else { throw error }
            return try await bringInLine(created, with: signIn, access: access, source: source)
        }
        return user
    }

    private func createMissingTenants(_ tenants: [String], for signIn: ExternalSignIn) async throws {
        for tenant in tenants where try await store.find(tenant, in: .tenants) == nil {
            do {
                _ = try await catalog.createTenant(.system, TenantSpec(name: tenant, description: "created at the sign-in of \(signIn.userName) (\(signIn.identity.provider))"))
            } catch let error as TapsterError where error.code == .alreadyExists {
                // Created by a sign-in beside this one.
            }
        }
    }

    /// An existing user of the provider, with the role, tenants, name and email the sign-in carries.
    private func bringInLine(_ user: User, with signIn: ExternalSignIn, access: MappedAccess, source: String) async throws -> User {
        guard !user.disabled else {
            try await refuse(signIn, source: source, reason: "disabled", message: "user \(user.name) is disabled in Tapster")
        }
        var current = user
        if current.role != access.role || Set(current.spec.tenants) != Set(access.tenants) {
            current = try await updateUser(.system, user.id, UserPatch(role: access.role, tenants: access.tenants))
        }
        if current.external != signIn.identity {
            current.external = signIn.identity
            current.updatedAt = now
            let refreshed = current
            try await store.updateUser(refreshed)
        }
        return current
    }

    private func refuse(_ signIn: ExternalSignIn, source: String, reason: String, message: String) async throws -> Never {
        _ = try await store.appendAudit(
            AuditEntry(actor: signIn.userName, action: AuditAction.externalSignInRefused, objectType: ResourceKind.user.rawValue,
                       objectName: signIn.userName,
                       details: ["source": source, "reason": reason, "auth": signIn.method.auditName, "identity": signIn.identity.key]
                        .merging(signIn.refusalDetail.isEmpty ? [:] : ["claims": signIn.refusalDetail]) { a, _ in a }),
            at: now)
        throw TapsterError.forbidden(message)
    }
}
