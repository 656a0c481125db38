import Foundation
import Logging
import TapsterAPI
import TapsterCore
import TapsterOIDC

/// One OpenID Connect provider at run time: its discovery document and signing keys, fetched when first
/// needed and kept; tokens verified against them; codes exchanged at its token endpoint; opaque access
/// tokens read through its userinfo endpoint.
///
/// Keys rotate: a token the kept keys do not verify, naming a `kid` they lack (or none), makes the set be
/// fetched again — at most once per ``keyRefetchInterval`` after the last such refetch, so that made-up tokens
/// cannot turn the server into a load on the provider.
actor OIDCProvider {
    nonisolated let configuration: OIDCProviderConfiguration
    private let http: ProviderHTTP
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private var metadata: ProviderMetadata?
    private var keys: JSONWebKeySet?
    /// When an unknown `kid` last made the keys be fetched again (set before the fetch, so that tokens
    /// arriving during it do not start more).
    private var keysRefetchedAt: Date?
    /// When the kept keys were fetched: they are fetched again after ``keyLifetime``, so that a key the
    /// provider withdrew (compromised) stops verifying without a restart.
    private var keysFetchedAt: Date?

    static let keyLifetime: TimeInterval = 3_600

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
                             clientSecret: configuration.cliClientSecret, scopes: configuration.scopes)
    }

    /// The discovery document, fetched on first use (and again after a failure).
    func discovery() async throws -> ProviderMetadata {
        if let metadata { return metadata }
        do {
            let fetched = try await OAuthClient.discover(issuer: configuration.issuer, http: http, policy: configuration.urlPolicy)
            metadata = fetched
            return fetched
        } catch let error as TapsterError {
            throw TapsterError(error.code, "provider \(name): \(error.message)")
        }
    }

    /// The provider's keys: the kept ones, unless older than ``keyLifetime``, or `refetch` asks for the current
    /// set and no refetch happened in the last ``keyRefetchInterval``.
    private func signingKeys(refetch: Bool) async throws -> JSONWebKeySet {
        let now = clock()
        let stale = keysFetchedAt.map { now.timeIntervalSince($0) > Self.keyLifetime } ?? true
        if let keys, !stale {
            guard refetch else { return keys }
            if let refetched = keysRefetchedAt, now.timeIntervalSince(refetched) < Self.keyRefetchInterval { return keys }
            keysRefetchedAt = now
        }
        let url = try await discovery().jwksURI
        let answer = try await http.get(url)
        guard answer.status == 200 else { throw TapsterError(.unavailable, "provider \(name): \(url) answered \(answer.status)") }
        do {
            let fetched = try JSONWebKeySet(data: answer.body)
            if keys != nil, refetch { logger.info("fetched the provider's keys again for a token the kept ones do not verify", metadata: ["provider": "\(name)", "keys": "\(fetched.keys.count)"]) }
            keys = fetched
            keysFetchedAt = clock()
            return fetched
        } catch {
            throw TapsterError(.unavailable, "provider \(name): \(error.reason)")
        }
    }

    /// Checks a JWT's signature (``checkSignature(of:)``) and its claims; returns the claims
    /// and when the token expires. Throws `unauthenticated` with the reason for a token that fails.
    func verify(_ compact: String, audiences: Set<String>, nonce: String? = nil) async throws -> (claims: JSONValue, expires: Date) {
        let token: JSONWebToken
        do {
            token = try JSONWebToken(compact: compact)
        } catch {
            throw TapsterError(.unauthenticated, "provider \(name): \(error.reason)")
        }
        do {
            try await checkSignature(of: token)
            let validation = TokenValidation(issuer: configuration.issuer, audiences: audiences, clockSkew: configuration.clockSkew, nonce: nonce)
            let expires = try validation.check(token.claims, at: clock())
            return (token.claims, expires)
        } catch let rejection as TokenRejection {
            throw TapsterError(.unauthenticated, "provider \(name): \(rejection.reason)")
        }
    }

    /// Checks the signature with the kept keys, and — when they fail a token that names an unknown `kid`, or
    /// names none (providers with one key often leave it out) — with the provider's current set: the kept
    /// keys may be the ones it rotated away from.
    private func checkSignature(of token: JSONWebToken) async throws {
        let kept = try await signingKeys(refetch: false)
        do {
            try kept.verify(token)
        } catch let rejection {
            let mayBeNewKey = JSONWebKeySet.acceptedAlgorithms.contains(token.algorithm)
                && token.keyID.map { !kept.contains(keyID: $0) } ?? true
            guard mayBeNewKey else { throw rejection }
            try await signingKeys(refetch: true).verify(token)
        }
    }

    /// The claims an opaque access token stands for, checked as ``OIDCProviderConfiguration/opaqueAccessTokens``
    /// says, with when to check it again; `nil` when this provider does not vouch for it.
    func opaqueTokenClaims(_ accessToken: String) async throws -> (claims: JSONValue, until: Date)? {
        switch configuration.opaqueAccessTokens {
        case .refuse:
            return nil
        case .introspection:
            let client = OAuthClient(metadata: try await discovery(), clientID: configuration.clientID, clientSecret: configuration.clientSecret, http: http)
            guard let answer = try await client.introspect(accessToken), answer["active"] == .bool(true) else { return nil }
            // Issued to one of this server's clients, not to another application of the same provider.
            let issuedTo = (answer["client_id"]?.strings ?? []) + (answer["aud"]?.strings ?? [])
            guard issuedTo.contains(where: configuration.audiences.contains) else { return nil }
            let expires = answer["exp"]?.number.map { Date(timeIntervalSince1970: $0) } ?? clock().addingTimeInterval(60)
            return (answer, min(expires, clock().addingTimeInterval(300)))
        case .userinfo:
            guard let endpoint = try await discovery().userinfoEndpoint else { return nil }
            let answer = try await http.get(endpoint, headers: [("Authorization", "Bearer " + accessToken)])
            if answer.status == 401 || answer.status == 403 { return nil }
            guard answer.status == 200, let claims = try? JSONValue(data: answer.body), case .object = claims else {
                throw TapsterError(.unavailable, "provider \(name): userinfo answered \(answer.status)")
            }
            return (claims, clock().addingTimeInterval(60))
        }
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens, as the portal's confidential client.
    func exchange(code: String, verifier: String, redirectURI: String) async throws -> TokenResponse {
        let client = OAuthClient(metadata: try await discovery(), clientID: configuration.clientID, clientSecret: configuration.clientSecret,
                                 http: http)
        do {
            return try await client.exchange(code: code, verifier: verifier, redirectURI: redirectURI)
        } catch let error as TapsterError {
            throw TapsterError(error.code, "provider \(name): \(error.message)")
        }
    }
}
