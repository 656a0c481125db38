import Foundation
import TapsterCore

/// A person an identity provider vouched for, as every provider's answer is made before Tapster acts on it:
/// who they are there, the user name they get here, what the role mapping gave them, and until when the
/// proof holds. ``IdentityService/provision(_:source:)`` turns it into a user.
struct ExternalSignIn: Sendable, Equatable {
    var identity: ExternalIdentity
    /// The Tapster user name (a resource name made from the provider's claim).
    var userName: String
    /// What the role mapping made of the claims; `nil`: no rule matched, and the person is refused.
    var access: MappedAccess?
    var method: AuthenticationMethod
    /// When the token (or, for Keystone, the last check of it) stops vouching.
    var validUntil: Date
    /// Tenants the sign-in may create when they do not exist yet (Keystone: the token's project); an
    /// OpenID Connect mapping names tenants an admin made.
    var creatableTenants: Set<String> = []
    /// What the audit says when nothing matched: the values the rules looked at.
    var refusalDetail: String = ""
}

/// Verifies a bearer credential a provider issued. Each returns `nil` for credentials that are not its kind
/// (so the next one may try), and throws `unauthenticated` for its own kind that fails.
protocol BearerVerifier: Sendable {
    func verify(bearer token: String) async throws -> ExternalSignIn?
}

extension ResourceName {
    /// A valid resource name made from a provider's name for someone or something (`Alice@Example.com` →
    /// `alice-example.com`, `Shop Team` → `shop-team`): lowercased, other characters as `-`, trimmed to
    /// letters or digits at both ends; `nil` when nothing is left.
    static func made(from text: String) -> String? {
        let mapped = String(text.lowercased().unicodeScalars.map { scalar -> Character in
            let allowed = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_" || scalar == "."
            return allowed ? Character(scalar) : "-"
        })
        let trimmed = mapped.drop { !$0.isLetter && !$0.isNumber }.reversed().drop { !$0.isLetter && !$0.isNumber }.reversed()
        let name = String(String(trimmed).prefix(ResourceName.maximumLength))
        return (try? ResourceName.validate(name)) != nil ? name : nil
    }
}
