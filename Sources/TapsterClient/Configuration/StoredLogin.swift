import Foundation

/// What `tapster login` saves: the server and the API token to use by default.
public struct StoredLogin: Codable, Sendable, Equatable {
    /// The server URL logged in to.
    public var server: String
    /// The API token; absent after `tapster logout`.
    public var token: String?
    /// The user the token acts as, when known.
    public var user: String?
    /// The token's id, when known, so that `tapster logout` can revoke it.
    public var tokenId: String?
    /// For `tapster login --oidc`: the provider's sign-in, whose ID token is ``token``, refreshed when it expires.
    public var oidc: StoredOIDCLogin?

    public init(server: String, token: String? = nil, user: String? = nil, tokenId: String? = nil, oidc: StoredOIDCLogin? = nil) {
        self.server = server
        self.token = token
        self.user = user
        self.tokenId = tokenId
        self.oidc = oidc
    }
}

/// A sign-in at an OpenID Connect provider the CLI keeps: enough to refresh its ID token without asking again.
public struct StoredOIDCLogin: Codable, Sendable, Equatable {
    /// The provider's name at the server (`tapster login --oidc NAME`).
    public var provider: String
    public var issuer: String
    /// The CLI's public client at the provider.
    public var clientId: String
    /// Its published "secret", for providers that want one from installed applications.
    public var clientSecret: String?
    public var refreshToken: String?
    /// When the ID token in ``StoredLogin/token`` expires.
    public var expiresAt: Date

    public init(provider: String, issuer: String, clientId: String, clientSecret: String? = nil, refreshToken: String?, expiresAt: Date) {
        self.provider = provider
        self.issuer = issuer
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }
}
