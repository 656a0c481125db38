import Foundation
import TapsterCore
import TapsterOIDC

/// Bearer tokens of the OpenID Connect providers: JWTs (ID tokens, and access tokens where the provider
/// issues JWTs) checked against the provider their `iss` names, as the Kubernetes API server does for
/// kubectl's OIDC login; opaque access tokens at the providers that accept them, by introspection (or, where
/// an admin chose it, userinfo).
struct OIDCBearerVerifier: BearerVerifier {
    let providers: [OIDCProvider]
    let roleMapping: RoleMapping

    /// How Tapster's own API tokens begin (``PasswordHasher/newTokenSecret()``).
    static let tapsterTokenPrefix = "tap_"
    /// How Keystone's Fernet tokens begin (version byte 0x80, base64url): Keystone's to check, not a provider's.
    static let fernetTokenPrefix = "gAAAAA"

    func verify(bearer token: String) async throws -> ExternalSignIn? {
        if JSONWebToken.looksLikeJWT(token) {
            // Tapster's own tokens never look like this, so a JWT no provider can vouch for is refused here.
            let unverified = try? JSONWebToken(compact: token)
            guard let issuer = unverified?.issuer else { throw TapsterError(.unauthenticated, "the bearer JWT has no iss claim") }
            guard let provider = providers.first(where: { $0.configuration.issuer == issuer }) else {
                throw TapsterError(.unauthenticated, "the bearer JWT's issuer \(issuer) is not one of this server's identity providers")
            }
            let (claims, expires) = try await provider.verify(token, audiences: provider.configuration.audiences)
            return signIn(claims, provider: provider, until: expires)
        }
        // Tapster's own secrets (a revoked or mistyped one) and Keystone's Fernet tokens never go to a provider.
        guard !token.hasPrefix(Self.tapsterTokenPrefix), !token.hasPrefix(Self.fernetTokenPrefix) else { return nil }
        for provider in providers where provider.configuration.opaqueAccessTokens != .refuse {
            guard let (claims, until) = try await provider.opaqueTokenClaims(token), let subject = claims["sub"]?.string, !subject.isEmpty else { continue }
            var withIssuer = claims
            if case .object(var members) = claims {
                members["iss"] = .string(provider.configuration.issuer)
                withIssuer = .object(members)
            }
            return signIn(withIssuer, provider: provider, until: until)
        }
        return nil
    }

    /// The sign-in verified `claims` of `provider` stand for.
    func signIn(_ claims: JSONValue, provider: OIDCProvider, until: Date) -> ExternalSignIn {
        Self.signIn(claims, configuration: provider.configuration, roleMapping: roleMapping, until: until)
    }

    static func signIn(_ claims: JSONValue, configuration: OIDCProviderConfiguration, roleMapping: RoleMapping, until: Date) -> ExternalSignIn {
        let subject = claims["sub"]?.string ?? ""
        let email = claims["email"]?.string
        let displayName = claims["name"]?.string
        let identity = ExternalIdentity(issuer: configuration.issuer, subject: subject, provider: configuration.name,
                                        displayName: displayName, email: email)
        let named = claims.value(atPath: configuration.usernameClaim)?.string ?? email ?? subject
        let claimNames = Set(roleMapping.rules.map(\.claim)).sorted()
        let seen = claimNames.map { name in "\(name)=\((claims.value(atPath: name)?.strings ?? []).joined(separator: ","))" }
        return ExternalSignIn(identity: identity, userName: ResourceName.made(from: named) ?? ResourceName.made(from: subject) ?? "user",
                              access: roleMapping.access(for: claims, provider: configuration.name), method: .openIDConnect(provider: configuration.name),
                              validUntil: until, refusalDetail: seen.joined(separator: "; "))
    }
}
