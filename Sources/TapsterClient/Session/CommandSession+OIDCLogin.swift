import Foundation
import NIOHTTP1
import TapsterAPI
import TapsterCore
import TapsterOIDC

/// How `tapster login --oidc` lets the person approve the sign-in.
public enum OIDCLoginFlow: String, Sendable, CaseIterable {
    /// The device authorization grant: a URL and a code to type, on any device (where the provider offers it).
    case device
    /// The authorization code flow in a browser on this machine, coming back to a loopback listener.
    case browser
}

extension CommandSession {
    /// How long a browser sign-in may take.
    static let browserSignInTimeout: Duration = .seconds(300)

    /// `tapster login --oidc [PROVIDER]`: signs in at one of the server's OpenID Connect providers as the CLI's
    /// public client (PKCE, no secret) — with the device authorization grant where the provider offers it,
    /// otherwise through a browser and a loopback redirect, as `kubectl oidc-login` and `gcloud auth login`
    /// do — checks the ID token with the server (`GET /whoami`), and saves it with its refresh token.
    public func loginOIDC(provider name: String?, flow requested: OIDCLoginFlow?) async throws {
        let providers = try await client.call(.GET, APIPath.api("auth/providers"), authenticated: false,
                                              as: ItemList<IdentityProviderInfo>.self).value.items
        let provider = try Self.choose(name, among: providers, server: configuration.server)
        let metadata = try await OAuthClient.discover(issuer: provider.issuer)
        let oauth = OAuthClient(metadata: metadata, clientID: provider.clientId, clientSecret: provider.clientSecret)
        let flow = requested ?? (metadata.supportsDeviceFlow ? .device : .browser)
        let tokens: TokenResponse
        switch flow {
        case .device:
            let authorization = try await oauth.authorizeDevice(scopes: provider.scopes)
            warn("To sign in at \(provider.name), open \(authorization.verificationURI) and enter the code \(authorization.userCode)"
                 + (authorization.verificationURIComplete.map { " (or open \($0))" } ?? ""))
            tokens = try await oauth.awaitDeviceApproval(authorization)
        case .browser:
            tokens = try await browserSignIn(oauth, provider: provider)
        }
        guard let idToken = tokens.idToken, let expires = (try? JSONWebToken(compact: idToken))?.claims["exp"]?.number else {
            throw CommandFailure("oidc_no_id_token", "\(provider.name) answered without an ID token; is the openid scope allowed for client \(provider.clientId)?")
        }
        let me = try await APIClient.with(server: configuration.server, token: idToken) { client in
            try await client.get(APIPath.api("whoami"), as: User.self).value
        }
        let oidc = StoredOIDCLogin(provider: provider.name, issuer: provider.issuer, clientId: provider.clientId,
                                   clientSecret: provider.clientSecret, refreshToken: tokens.refreshToken,
                                   expiresAt: Date(timeIntervalSince1970: expires))
        try saveLogin(StoredLogin(server: configuration.server, token: idToken, user: me.name, oidc: oidc), user: me)
    }

    /// The provider named, or the only one.
    static func choose(_ name: String?, among providers: [IdentityProviderInfo], server: String) throws -> IdentityProviderInfo {
        let names = providers.map(\.name).joined(separator: ", ")
        if let name {
            guard let provider = providers.first(where: { $0.name == name }) else {
                throw CommandFailure("unknown_provider", "\(server) has no identity provider \(name)" + (names.isEmpty ? "" : " (it has: \(names))"))
            }
            return provider
        }
        guard let only = providers.first else { throw CommandFailure("no_provider", "\(server) has no OpenID Connect provider configured") }
        guard providers.count == 1 else { throw CommandFailure("which_provider", "\(server) has several identity providers; name one: \(names)") }
        return only
    }

    /// The authorization code flow with PKCE through the person's browser and a loopback redirect.
    private func browserSignIn(_ oauth: OAuthClient, provider: IdentityProviderInfo) async throws -> TokenResponse {
        let state = randomToken()
        let redirect = try await LoopbackRedirect.listen(state: state)
        do {
            let pkce = PKCE.random()
            guard var url = URLComponents(string: oauth.metadata.authorizationEndpoint) else {
                throw CommandFailure("oidc_bad_provider", "\(provider.name)'s authorization endpoint is not a URL")
            }
            url.queryItems = (url.queryItems ?? []) + [
                URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: provider.clientId),
                URLQueryItem(name: "redirect_uri", value: redirect.redirectURI),
                URLQueryItem(name: "scope", value: provider.scopes.joined(separator: " ")), URLQueryItem(name: "state", value: state),
                URLQueryItem(name: "code_challenge", value: pkce.challenge), URLQueryItem(name: "code_challenge_method", value: PKCE.method),
            ]
            warn("To sign in at \(provider.name), open this URL in a browser on this machine: \(url.url?.absoluteString ?? "")")
            let query = try await redirect.query(timeout: Self.browserSignInTimeout)
            await redirect.close()
            func parameter(_ name: String) -> String? { query.first { $0.name == name }?.value }
            if let error = parameter("error") {
                // The provider's words, without anything a terminal would take as a control sequence.
                func printable(_ text: String) -> String { String(text.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint && $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }.prefix(200)) }
                throw CommandFailure("oidc_refused", "\(provider.name) did not sign you in: \(printable(error))"
                                     + (parameter("error_description").map { " (\(printable($0)))" } ?? ""))
            }
            guard parameter("state") == state else {
                throw CommandFailure("oidc_state", "the browser came back with another sign-in's state; run the login again")
            }
            guard let code = parameter("code") else { throw CommandFailure("oidc_no_code", "\(provider.name) sent no code") }
            return try await oauth.exchange(code: code, verifier: pkce.verifier, redirectURI: redirect.redirectURI)
        } catch {
            await redirect.close()
            throw error
        }
    }
}

/// Refreshes a saved OpenID Connect sign-in whose ID token is about to expire, before a command uses it.
public enum OIDCLoginRefresh {
    /// How long before expiry the token is refreshed.
    static let margin: TimeInterval = 60

    /// The token the CLI sends and when it expires: the ID token (its `exp`), else the access token (`expires_in`).
    static func bearer(from tokens: TokenResponse, now: Date) -> (String, Date)? {
        if let idToken = tokens.idToken, let expiry = (try? JSONWebToken(compact: idToken))?.claims["exp"]?.number {
            return (idToken, Date(timeIntervalSince1970: expiry))
        }
        if let accessToken = tokens.accessToken {
            return (accessToken, now.addingTimeInterval(TimeInterval(tokens.expiresIn ?? 300)))
        }
        return nil
    }

    /// The saved login with fresh tokens (saved to `file`), or as it was when it needs no refresh or the provider
    /// refuses (the server will then say the token expired; `warn` says what to do).
    public static func refreshed(_ saved: StoredLogin, file: ConfigFile, now: Date = Date(), warn: (String) -> Void) async -> StoredLogin {
        guard let oidc = saved.oidc, saved.token != nil, oidc.expiresAt.timeIntervalSince(now) < margin,
              let refreshToken = oidc.refreshToken else { return saved }
        do {
            let metadata = try await OAuthClient.discover(issuer: oidc.issuer)
            let tokens = try await OAuthClient(metadata: metadata, clientID: oidc.clientId, clientSecret: oidc.clientSecret).refresh(refreshToken)
            // A refresh need not bring a new ID token (OpenID Connect Core §12.2): the access token then stands in
            // for it, which the server accepts through the provider's userinfo.
            guard let (token, expires) = Self.bearer(from: tokens, now: now) else {
                warn("\(oidc.provider) refreshed the sign-in without an ID or access token; run 'tapster login --oidc \(oidc.provider)' again")
                return saved
            }
            var updated = saved
            updated.token = token
            updated.oidc?.refreshToken = tokens.refreshToken ?? refreshToken
            updated.oidc?.expiresAt = expires
            try file.save(updated)
            return updated
        } catch {
            warn("could not refresh the sign-in at \(oidc.provider) (\(ErrorReport(error).message)); run 'tapster login --oidc \(oidc.provider)' again")
            return saved
        }
    }
}
