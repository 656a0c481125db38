import NIOHTTP1
import TapsterAPI
import TapsterCore

/// `login`, `logout`, `whoami`, `passwd` and API tokens.
extension CommandSession {
    /// Logs in with a password (`POST /login`) and saves the server and the new token. When the
    /// password is one-time, `newPassword` is asked for and sent with a second attempt.
    public func login(user: String, password: String, newPassword: () throws -> String) async throws {
        let request = LoginRequest(name: user, password: password, tokenName: "tapster-cli")
        let answer: APIResponse<IssuedToken>
        do {
            answer = try await client.call(.POST, APIPath.api("login"), body: try APIClient.encode(request),
                                           authenticated: false, as: IssuedToken.self)
        } catch let error as TapsterError where error.code == .passwordChangeRequired {
            warn("The password of \(user) is one-time: choose a new one.")
            var replaced = request
            replaced.newPassword = try newPassword()
            answer = try await client.call(.POST, APIPath.api("login"), body: try APIClient.encode(replaced),
                                           authenticated: false, as: IssuedToken.self)
        }
        let issued = answer.value
        try saveLogin(StoredLogin(server: configuration.server, token: issued.token, user: issued.user?.name ?? user,
                                  tokenId: issued.tokenInfo.id),
                      user: issued.user)
    }

    /// Checks a token (`GET /whoami`) and saves it with the server.
    public func login(token: String) async throws {
        let me = try await APIClient.with(server: configuration.server, token: token) { client in
            try await client.get(APIPath.api("whoami"), as: User.self).value
        }
        try saveLogin(StoredLogin(server: configuration.server, token: token, user: me.name), user: me)
    }

    func saveLogin(_ login: StoredLogin, user: User?) throws {
        guard let configFile else {
            throw CommandFailure("no_config_dir", "neither XDG_CONFIG_HOME nor HOME is set: there is nowhere to save the login")
        }
        try configFile.save(login)
        let who = user.map { "\($0.name) (\($0.role.rawValue))" } ?? login.user ?? "?"
        try say("Logged in to \(login.server) as \(who). Saved in \(configFile.path).")
        if let flagOrEnvironment = environment["TAPSTER_TOKEN"], !flagOrEnvironment.isEmpty {
            warn("TAPSTER_TOKEN is set and takes precedence over the saved token; unset it to use this login")
        }
    }

    /// Forgets the saved token, revoking it on the server first when its id is known.
    public func logout() async throws {
        guard let configFile, var saved = try configFile.load(), let token = saved.token else {
            try say("Not logged in.")
            return
        }
        if let user = saved.user, let id = saved.tokenId {
            do {
                try await APIClient.with(server: saved.server, token: token) { client in
                    try await client.delete(Resources.tokens(of: user).url(id))
                }
            } catch {
                warn("could not revoke the token on the server (\(ErrorReport(error).message)); forgetting it anyway")
            }
        }
        saved.token = nil
        saved.tokenId = nil
        // A provider's refresh token would sign in again without the person: it goes too.
        saved.oidc = nil
        try configFile.save(saved)
        try say("Logged out of \(saved.server).")
    }

    /// `GET /whoami`.
    public func whoami() async throws -> APIResponse<User> {
        try await client.get(APIPath.api("whoami"), as: User.self)
    }

    /// The user named, or the caller when `nil`.
    public func userName(_ name: String?) async throws -> String {
        if let name { return name }
        return try await whoami().value.name
    }

    /// Changes the caller's own password (the current one is required); with `revokeOthers`, every other
    /// session and token of theirs is revoked (the one in use stays).
    public func changeOwnPassword(current: String, new: String, revokeOthers: Bool = false) async throws {
        let me = try await whoami().value
        _ = try await client.patch(Resources.users.url(me.name),
                                   body: UserPatch(password: new, currentPassword: current, revokeOtherSessions: revokeOthers ? true : nil),
                                   as: User.self)
        try say(revokeOthers ? "Password of \(me.name) changed; every other session and API token revoked." : "Password of \(me.name) changed.")
    }

    /// An admin sets someone's password; it is one-time (the portal asks for a new one at first use).
    public func resetPassword(of user: String, to password: String) async throws {
        _ = try await client.patch(Resources.users.url(user), body: UserPatch(password: password), as: User.self)
        try say("Password of \(user) set; it is one-time: \(user) must choose a new one at the next login. Their sessions and API tokens are revoked.")
    }

    /// Creates an API token and prints it — the only time its secret is shown.
    public func createToken(user: String?, _ request: TokenRequest) async throws {
        let owner = try await userName(user)
        let answer = try await client.post(Resources.tokens(of: owner).url, body: request, as: IssuedToken.self)
        try show(answer)
        if renderer.format == .table {
            Console.error("Save the token now: it is not shown again.")
        }
    }
}
