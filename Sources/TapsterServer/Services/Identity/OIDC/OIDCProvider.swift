import Foundation
import Logging
import TapsterAPI
import TapsterCore
import TapsterOIDC

/// One OpenID Connect provider at run time: its discovery document and signing keys, fetched when first
/// needed and kept; tokens verified against them; codes exchanged at its token endpoint; opaque access
/// tokens read through its userinfo endpoint.
///
/// Keys rotate: a token naming a `kid` the kept set lacks makes the set be fetched again — at most once per
/// ``keyRefetchInterval``, so that tokens with made-up key ids cannot turn the server into a load on the
/// provider.
actor OIDCProvider {
    nonisolated let configuration: OIDCProviderConfiguration
    private let http: ProviderHTTP
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private var metadata: ProviderMetadata?
    private var keys: JSONWebKeySet?
    private var keysFetchedAt: Date?

    static let keyRefetchInterval: TimeInterval = 10

    init(configuration: OIDCProviderConfiguration, http: ProviderHTTP = .shared, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
        self.logger = logger
    }

    nonisolated var name: String { configuration.name }

    /// What anyone may learn of this provider, to sign in with it.
    nonisolated var info: IdentityProviderInfo {
        IdentityProviderInfo(name: configuration.name, issuer: configuration.issuer, clientId: configuration.cliClient,
                             scopes: configuration.scopes)
    }

    /// The discovery document, fetched on first use (and again after a failure).
    func discovery() async throws -> ProviderMetadata {
        if let metadata { return metadata }
        let url = ProviderMetadata.discoveryURL(issuer: configuration.issuer)
        let answer = try await http.get(url)
        guard answer.status == 200 else {
            throw TapsterError(.unavailable, "provider \(name): \(url) answered \(answer.status)")
        }
        do {
            let fetched = try ProviderMetadata(data: answer.body, expectedIssuer: configuration.issuer)
            metadata = fetched
            return fetched
        } catch {
            throw TapsterError(.unavailable, "provider \(name): \(error.reason)")
        }
    }

    /// The provider's keys; fetched again when `refetch` and the last fetch is older than ``keyRefetchInterval``.
    private func signingKeys(refetch: Bool) async throws -> JSONWebKeySet {
        if let keys, !refetch { return keys }
        if let keys, let fetched = keysFetchedAt, clock().timeIntervalSince(fetched) < Self.keyRefetchInterval { return keys }
        let url = try await discovery().jwksURI
        let answer = try await http.get(url)
        guard answer.status == 200 else { throw TapsterError(.unavailable, "provider \(name): \(url) answered \(answer.status)") }
        do {
            let fetched = try JSONWebKeySet(data: answer.body)
            if keys != nil { logger.info("fetched the provider's keys again", metadata: ["provider": "\(name)", "keys": "\(fetched.keys.count)"]) }
            keys = fetched
            keysFetchedAt = clock()
            return fetched
        } catch {
            throw TapsterError(.unavailable, "provider \(name): \(error.reason)")
        }
    }

    /// Checks a JWT's signature (refetching the keys for an unknown `kid`) and its claims; returns the claims
    /// and when the token expires. Throws `unauthenticated` with the reason for a token that fails.
    func verify(_ compact: String, audiences: Set<String>, nonce: String? = nil) async throws -> (claims: JSONValue, expires: Date) {
        let token: JSONWebToken
        do {
            token = try JSONWebToken(compact: compact)
        } catch {
            throw TapsterError(.unauthenticated, "provider \(name): \(error.reason)")
        }
        var keys = try await signingKeys(refetch: false)
        if let kid = token.keyID, !keys.contains(keyID: kid) {
            keys = try await signingKeys(refetch: true)
        }
        do {
            try keys.verify(token)
            let validation = TokenValidation(issuer: configuration.issuer, audiences: audiences, nonce: nonce)
            let expires = try validation.check(token.claims, at: clock())
            return (token.claims, expires)
        } catch {
            throw TapsterError(.unauthenticated, "provider \(name): \(error.reason)")
        }
    }

    /// The claims the userinfo endpoint answers for an opaque access token (`nil` when the provider has none,
    /// or refuses the token).
    func userinfo(accessToken: String) async throws -> JSONValue? {
        guard let endpoint = try await discovery().userinfoEndpoint else { return nil }
        let answer = try await http.get(endpoint, headers: [("Authorization", "Bearer " + accessToken)])
        guard answer.status == 200, let claims = try? JSONValue(data: answer.body), case .object = claims else { return nil }
        return claims
    }

    /// What a token endpoint answers.
    struct TokenResponse: Decodable, Sendable {
        var idToken: String?
        var accessToken: String?
        var refreshToken: String?
        var expiresIn: Int?

        enum CodingKeys: String, CodingKey {
            case idToken = "id_token", accessToken = "access_token", refreshToken = "refresh_token", expiresIn = "expires_in"
        }
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens, as the portal's confidential client.
    func exchange(code: String, verifier: String, redirectURI: String) async throws -> TokenResponse {
        guard let endpoint = try await discovery().tokenEndpoint else {
            throw TapsterError(.unavailable, "provider \(name) has no token endpoint")
        }
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
                    ("client_id", configuration.clientID)]
        var headers: [(String, String)] = []
        if let secret = configuration.clientSecret {
            let methods = try await discovery().tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]
            if methods.contains("client_secret_basic") {
                let credentials = FormEncoding.escape(configuration.clientID) + ":" + FormEncoding.escape(secret)
                headers.append(("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
            } else {
                form.append(("client_secret", secret))
            }
        }
        let answer = try await http.postForm(endpoint, form, headers: headers)
        guard answer.status == 200 else {
            let error = (try? JSONValue(data: answer.body))?["error"]?.string ?? "status \(answer.status)"
            throw TapsterError(.unauthenticated, "provider \(name) refused the sign-in's code: \(error)")
        }
        do {
            return try JSONDecoder().decode(TokenResponse.self, from: answer.body)
        } catch {
            throw TapsterError(.unavailable, "provider \(name)'s token endpoint answered something that is not a token response")
        }
    }
}
