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

    public init(server: String, token: String? = nil, user: String? = nil, tokenId: String? = nil) {
        self.server = server
        self.token = token
        self.user = user
        self.tokenId = tokenId
    }
}
