import Foundation

/// What an OpenID Provider publishes at `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0),
/// as far as Tapster uses it.
public struct ProviderMetadata: Codable, Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String?
    public var jwksURI: String
    public var userinfoEndpoint: String?
    public var endSessionEndpoint: String?
    public var deviceAuthorizationEndpoint: String?
    public var introspectionEndpoint: String?
    public var codeChallengeMethodsSupported: [String]?
    public var tokenEndpointAuthMethodsSupported: [String]?
    public var grantTypesSupported: [String]?
    public var idTokenSigningAlgValuesSupported: [String]?
    public var scopesSupported: [String]?

    private enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case userinfoEndpoint = "userinfo_endpoint"
        case endSessionEndpoint = "end_session_endpoint"
        case deviceAuthorizationEndpoint = "device_authorization_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case grantTypesSupported = "grant_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case scopesSupported = "scopes_supported"
    }

    /// The discovery document's URL for an issuer.
    public static func discoveryURL(issuer: String) -> String {
        (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
    }

    /// Decodes a discovery document and checks it belongs to `expectedIssuer` (a document naming another
    /// issuer would let that issuer's tokens in: OpenID Connect Discovery §4.3).
    public init(data: Data, expectedIssuer: String) throws(TokenRejection) {
        let decoded: ProviderMetadata
        do {
            decoded = try JSONDecoder().decode(ProviderMetadata.self, from: data)
        } catch {
            throw TokenRejection("the discovery document is not valid: \(error)")
        }
        guard decoded.issuer == expectedIssuer else {
            throw TokenRejection("the discovery document names issuer \(decoded.issuer), not \(expectedIssuer)")
        }
        self = decoded
    }

    /// Whether the provider says it supports the device authorization grant (RFC 8628).
    public var supportsDeviceFlow: Bool { deviceAuthorizationEndpoint != nil }
}
