/// A person as an identity provider knows them: the provider's issuer and its subject for them (stable,
/// unlike names), with the name and email it shows. A user created at sign-in carries it, and audit events
/// name it.
public struct ExternalIdentity: Codable, Sendable, Equatable {
    /// The OpenID Connect issuer URL, or the Keystone URL.
    public var issuer: String
    /// `sub` for OpenID Connect; the Keystone user's id.
    public var subject: String
    /// The configured name of the provider (an OpenID Connect provider's name, `keystone`).
    public var provider: String
    public var displayName: String?
    public var email: String?

    public init(issuer: String, subject: String, provider: String, displayName: String? = nil, email: String? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.provider = provider
        self.displayName = displayName
        self.email = email
    }

    /// What the store indexes to find this person's user again: the issuer and subject together.
    public var key: String { issuer + "#" + subject }
}
