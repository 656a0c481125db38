import Foundation
import TapsterCore

extension ExternalSignIn {
    /// How long a validated Keystone token is trusted before Keystone is asked again: a revoked token stops
    /// working within this long.
    static let keystoneRecheck: TimeInterval = 60

    /// The person a validated Keystone token stands for (pure: no I/O).
    ///
    /// - Identity: issuer = the Keystone `/v3` URL, subject = the user's id (unique across domains), provider
    ///   `keystone`, display name = the user's name.
    /// - User name: the user's name as a resource name; a user of a domain other than `Default` gets the
    ///   domain's name after an `@` (`alice@corp` → `alice-corp`), so that two domains' `alice` do not meet.
    ///   Names that still come out equal (case, punctuation) are not merged: Tapster finds people by
    ///   issuer and subject, and refuses (audited) a second person whose name another user holds.
    /// - Tenant: the project's name as a resource name (with `@domain` the same way); created on first use.
    /// - Role: each token role through `configuration.roleMap`; `admin` beats `owner` beats `auditor`. Keystone
    ///   writes implied roles into tokens (its bootstrap makes `admin` imply `member` and `member` imply
    ///   `reader`), so every member's token also says `reader`: were `auditor` to beat `owner`, every member
    ///   would become a read-only auditor of every tenant. An owner owns the project's tenant only. No mapped
    ///   role: `access` is `nil`, and the sign-in is refused and audited.
    /// - Method (the audit's `auth`): `keystone:<project>`, the project's name (`@domain` outside `Default`).
    /// - Trust: until the token expires, and at most ``keystoneRecheck`` from `now`.
    ///
    /// - Throws: `unauthenticated` for a token not scoped to a project (unscoped, domain- or system-scoped).
    static func keystone(_ token: KeystoneToken, configuration: KeystoneConfiguration, now: Date,
                         recheck: TimeInterval = keystoneRecheck) throws(TapsterError) -> ExternalSignIn {
        guard let project = token.project else {
            throw TapsterError(.unauthenticated, "the Keystone token of \(token.user.name) is not scoped to a project (unscoped, domain- or "
                               + "system-scoped tokens are not accepted): authenticate with a project, e.g. OS_PROJECT_NAME")
        }
        let identity = ExternalIdentity(issuer: configuration.v3, subject: token.user.id, provider: "keystone", displayName: token.user.name)
        let userName = ResourceName.made(from: qualifiedName(token.user)) ?? ResourceName.made(from: token.user.id) ?? "keystone-user"
        guard let tenant = ResourceName.made(from: qualifiedName(project)) ?? ResourceName.made(from: project.id) else {
            throw TapsterError(.unauthenticated, "the Keystone project \(project.id) has no name Tapster can use for a tenant")
        }
        let roles = token.roles.map(\.name)
        let mapped = Set(roles.compactMap { configuration.roleMap[$0] })
        let access: MappedAccess? = if mapped.contains(.admin) {
            MappedAccess(role: .admin)
        } else if mapped.contains(.owner) {
            MappedAccess(role: .owner, tenants: [tenant])
        } else if mapped.contains(.auditor) {
            MappedAccess(role: .auditor)
        } else {
            nil
        }
        return ExternalSignIn(identity: identity, userName: userName, access: access, method: .keystone(project: qualifiedName(project)),
                              validUntil: min(token.expiresAt, now.addingTimeInterval(recheck)), creatableTenants: [tenant],
                              refusalDetail: "roles=\(roles.sorted().joined(separator: ",")) in project \(project.name)")
    }

    /// `name` for the `Default` domain's users and projects, `name@domain` for other domains'.
    private static func qualifiedName(_ owned: KeystoneToken.Owned) -> String {
        guard let domain = owned.domain, domain.id != "default" else { return owned.name }
        return owned.name + "@" + domain.name
    }
}
