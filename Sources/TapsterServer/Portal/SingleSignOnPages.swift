import Foundation
import Hummingbird
import TapsterCore
import TapsterOIDC

/// "Sign in with <provider>": the authorization code flow with PKCE, `state` and `nonce` (OpenID Connect
/// Core §3.1), and single logout through the provider's end-session endpoint.
///
/// `/login/oidc/{provider}` sends the browser to the provider with a fresh state, nonce and PKCE verifier,
/// which stay in an `HttpOnly` cookie of this browser only (`SameSite=Lax`, so that it comes back with the
/// provider's top-level redirect; ten minutes). `/login/oidc/{provider}/callback` accepts the code only with
/// that cookie's state, exchanges it with the verifier, checks the ID token (signature, issuer, audience =
/// the portal's client, expiry, the cookie's nonce) and opens a portal session. Nothing of the flow is
/// kept on the server, so any replica can finish a sign-in another one started.
struct SingleSignOnPages {
    static let cookie = "tapster_sso"
    static let flowLifetime = 600

    let portal: Portal
    let externalURL: ExternalURL?

    /// What a sign-in in progress keeps in its cookie.
    struct Flow: Codable, Equatable {
        var provider: String
        var state: String
        var nonce: String
        var verifier: String
        var next: String?

        var encoded: String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }

        static func decode(_ text: String) -> Flow? {
            Base64URL.decode(text).flatMap { try? JSONDecoder().decode(Flow.self, from: $0) }
        }
    }

    func register(_ routes: PortalRoutes) {
        routes.open("login/oidc/{provider}", method: .get) { request, context in
            try await start(request, provider: try context.parameter("provider"))
        }
        routes.open("login/oidc/{provider}/callback", method: .get) { request, context in
            try await finish(request, context, provider: try context.parameter("provider"))
        }
    }

    /// The redirect URI registered at the provider for the portal.
    func redirectURI(_ provider: String) throws -> String {
        guard let externalURL else {
            throw TapsterError(.unavailable, "single sign-on needs the server's own URL for the provider to send people back to; start it with --external-url")
        }
        return externalURL.absolute("/login/oidc/\(provider)/callback")
    }

    private func start(_ request: Request, provider name: String) async throws -> Response {
        guard let provider = portal.identity.providers.provider(named: name) else { throw TapsterError.notFound("identity provider", name) }
        let metadata = try await provider.discovery()
        let pkce = PKCE.random()
        let flow = Flow(provider: name, state: randomToken(), nonce: randomToken(), verifier: pkce.verifier,
                        next: SessionPages.safeNext(request.uri.queryParameters.get("next") ?? ""))
        guard var url = URLComponents(string: metadata.authorizationEndpoint) else {
            throw TapsterError(.unavailable, "provider \(name)'s authorization endpoint is not a URL")
        }
        url.queryItems = (url.queryItems ?? []) + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: provider.configuration.clientID),
            URLQueryItem(name: "redirect_uri", value: try redirectURI(name)),
            URLQueryItem(name: "scope", value: provider.configuration.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: flow.state),
            URLQueryItem(name: "nonce", value: flow.nonce),
            URLQueryItem(name: "code_challenge", value: pkce.challenge),
            URLQueryItem(name: "code_challenge_method", value: PKCE.method),
        ]
        guard let location = url.url?.absoluteString else { throw TapsterError(.unavailable, "provider \(name)'s authorization URL could not be made") }
        var response = Response.redirect(to: location)
        response.setCookie(flowCookie(flow.encoded, maxAge: Self.flowLifetime, request: request))
        return response
    }

    private func finish(_ request: Request, _ context: TapsterRequestContext, provider name: String) async throws -> Response {
        guard let provider = portal.identity.providers.provider(named: name) else { throw TapsterError.notFound("identity provider", name) }
        let query = request.uri.queryParameters
        var response: Response
        do {
            // This browser's own sign-in first: nothing a stranger's link carries is shown or acted on before.
            guard let flow = PortalCookies.value(Self.cookie, in: request).flatMap(Flow.decode), flow.provider == name else {
                throw TapsterError.forbidden("this sign-in was not started in this browser, or it took longer than ten minutes; sign in again")
            }
            guard let state = query.get("state"), CSRF.constantTimeEqual(state, flow.state) else {
                throw TapsterError.forbidden("the provider's answer does not belong to this browser's sign-in (state differs); sign in again")
            }
            if let error = query.get("error") {
                // The error code only (RFC 6749 §4.1.2.1 limits it to a few ASCII characters); its description is the provider's text.
                let code = String(error.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0 == "_") }.prefix(64))
                throw TapsterError(.unauthenticated, "provider \(name) did not sign you in (\(code))")
            }
            guard let code = query.get("code"), !code.isEmpty else { throw TapsterError(.unauthenticated, "provider \(name) sent no code") }
            let tokens = try await provider.exchange(code: code, verifier: flow.verifier, redirectURI: try redirectURI(name))
            guard let idToken = tokens.idToken else { throw TapsterError(.unauthenticated, "provider \(name) sent no ID token") }
            let (claims, expires) = try await provider.verify(idToken, audiences: [provider.configuration.clientID], nonce: flow.nonce)
            let signIn = OIDCBearerVerifier.signIn(claims, configuration: provider.configuration, roleMapping: portal.identity.providers.roleMapping,
                                                   until: expires)
            let (secret, user) = try await portal.identity.openPortalSession(signIn, source: context.remoteAddress)
            response = Response.redirect(to: flow.next.flatMap(SessionPages.safeNext) ?? Visitor.home(for: user.role))
            response.setCookie(portal.cookies.cookie(PortalCookies.session, secret, maxAge: Int(IdentityService.portalSessionLifetime.seconds), for: request))
        } catch let error as TapsterError {
            response = portal.errorPage(error.code == .forbidden || error.code == .unauthenticated
                                            ? TapsterError(error.code, "Sign-in refused: " + error.message) : error,
                                        request: request, visitor: nil)
        }
        response.setCookie(flowCookie("", maxAge: 0, request: request))
        return response
    }

    private func flowCookie(_ value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(name: Self.cookie, value: value, maxAge: maxAge, path: "/login/oidc", secure: portal.cookies.isSecure(request),
               httpOnly: true, sameSite: .lax)
    }

    /// Where the browser goes after signing out of the portal: the provider's end-session endpoint for a
    /// user of a provider that has one (RP-initiated logout, with `client_id` and the way back), else `nil`.
    func endSessionLocation(for user: User) async -> String? {
        guard let external = user.external, let provider = portal.identity.providers.provider(named: external.provider),
              let endpoint = try? await provider.discovery().endSessionEndpoint, var url = URLComponents(string: endpoint) else { return nil }
        url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "client_id", value: provider.configuration.clientID)]
            + (externalURL.map { [URLQueryItem(name: "post_logout_redirect_uri", value: $0.absolute(SessionPages.loginPath))] } ?? [])
        return url.url?.absoluteString
    }
}
