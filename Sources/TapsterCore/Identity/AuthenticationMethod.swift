/// How a principal proved who they are, for the audit log ("who, really") and for what a session may do.
public enum AuthenticationMethod: Sendable, Equatable {
    /// A name and password (the portal's session, `tapster login`).
    case password
    /// A Tapster API token.
    case apiToken
    /// A token of the named OpenID Connect provider (portal single sign-on, or a bearer token).
    case openIDConnect(provider: String)
    /// A Keystone token scoped to the named project.
    case keystone(project: String)

    /// How the audit log writes it: `password`, `api_token`, `oidc:<provider>`, `keystone:<project>`.
    public var auditName: String {
        switch self {
        case .password: "password"
        case .apiToken: "api_token"
        case .openIDConnect(let provider): "oidc:" + provider
        case .keystone(let project): "keystone:" + project
        }
    }
}
