import Foundation
import TapsterCore

/// A JSON Web Token in JWS compact form (`header.payload.signature`), split and decoded but not yet
/// trusted: ``JSONWebKeySet/verify(_:)`` checks its signature, ``TokenValidation`` its claims.
public struct JSONWebToken: Sendable {
    /// The protected header's `alg`.
    public let algorithm: String
    /// The protected header's `kid`, naming the provider key that signed it.
    public let keyID: String?
    /// Every claim of the payload.
    public let claims: JSONValue
    /// `header.payload` as sent: what the signature covers.
    let signingInput: Data
    let signature: Data

    /// Whether `text` has a JWT's shape (three base64url parts), without decoding it: how a bearer token is
    /// told apart from Tapster's own API tokens and from opaque access tokens.
    public static func looksLikeJWT(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].hasPrefix("eyJ") && parts[1].hasPrefix("eyJ")
    }

    /// Splits and decodes a compact JWS; throws for anything else (five-part JWE, bad base64url, a
    /// header or payload that is not a JSON object, a missing `alg`).
    public init(compact text: String) throws(TokenRejection) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TokenRejection("the token is not a signed JWT (\(parts.count) parts, not 3)") }
        guard let headerBytes = Base64URL.decode(parts[0]), case .object(let header)? = try? JSONValue(data: headerBytes) else {
            throw TokenRejection("the token's header is not base64url JSON")
        }
        guard let payloadBytes = Base64URL.decode(parts[1]), let payload = try? JSONValue(data: payloadBytes), case .object = payload else {
            throw TokenRejection("the token's payload is not base64url JSON")
        }
        guard let signature = Base64URL.decode(parts[2]) else { throw TokenRejection("the token's signature is not base64url") }
        guard let algorithm = header["alg"]?.string else { throw TokenRejection("the token's header has no alg") }
        if header["crit"] != nil { throw TokenRejection("the token's header has crit extensions, which Tapster does not support") }
        self.algorithm = algorithm
        self.keyID = header["kid"]?.string
        self.claims = payload
        self.signingInput = Data(text.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        self.signature = signature
    }

    /// The `iss` claim.
    public var issuer: String? { claims["iss"]?.string }
    /// The `sub` claim.
    public var subject: String? { claims["sub"]?.string }
}
