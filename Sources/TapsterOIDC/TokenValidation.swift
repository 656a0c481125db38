import Foundation
import TapsterCore

/// The claim checks every token passes after its signature: who issued it, for whom, and when it is valid —
/// composed the same way for ID tokens at portal sign-in, bearer tokens on the API, and the CLI's tokens.
public struct TokenValidation: Sendable {
    /// The provider's issuer URL, compared exactly (OpenID Connect Core §3.1.3.7).
    public var issuer: String
    /// Audiences this server accepts: the portal's client id, the CLI's, and any an admin adds.
    public var audiences: Set<String>
    /// How far clocks may disagree.
    public var clockSkew: TimeInterval
    /// The `nonce` the sign-in sent, for ID tokens that answer one.
    public var nonce: String?

    public init(issuer: String, audiences: Set<String>, clockSkew: TimeInterval = 60, nonce: String? = nil) {
        self.issuer = issuer
        self.audiences = audiences
        self.clockSkew = clockSkew
        self.nonce = nonce
    }

    /// The default tolerance for clocks that disagree.
    public static let defaultClockSkew: TimeInterval = 60

    /// Checks `claims` at `now`; returns when the token expires.
    @discardableResult
    public func check(_ claims: JSONValue, at now: Date) throws(TokenRejection) -> Date {
        guard let issued = claims["iss"]?.string else { throw TokenRejection("the token has no iss claim") }
        guard issued == issuer else { throw TokenRejection("the token's iss \(issued) is not the provider's issuer \(issuer)") }
        guard claims["sub"]?.string?.isEmpty == false else { throw TokenRejection("the token has no sub claim") }
        let audience = claims["aud"]?.strings ?? []
        guard !audience.isEmpty else { throw TokenRejection("the token has no aud claim") }
        guard audience.contains(where: audiences.contains) else {
            throw TokenRejection("the token's aud \(audience.joined(separator: ",")) is none of this server's client ids "
                                 + audiences.sorted().joined(separator: ","))
        }
        // The party the token was issued to (OpenID Connect Core §2): when named, one of this server's clients.
        if let party = claims["azp"]?.string, !audiences.contains(party) {
            throw TokenRejection("the token was issued to \(party) (azp), none of this server's client ids")
        }
        guard let expiry = claims["exp"]?.number else { throw TokenRejection("the token has no exp claim") }
        let expires = Date(timeIntervalSince1970: expiry)
        guard now.timeIntervalSince(expires) < clockSkew else {
            throw TokenRejection("the token expired at \(TapsterJSON.formatTime(expires))")
        }
        if let notBefore = claims["nbf"]?.number, Date(timeIntervalSince1970: notBefore).timeIntervalSince(now) > clockSkew {
            throw TokenRejection("the token is not valid before \(TapsterJSON.formatTime(Date(timeIntervalSince1970: notBefore)))")
        }
        if let issuedAt = claims["iat"]?.number, Date(timeIntervalSince1970: issuedAt).timeIntervalSince(now) > clockSkew {
            throw TokenRejection("the token's iat is in the future")
        }
        if let nonce {
            guard claims["nonce"]?.string == nonce else { throw TokenRejection("the ID token's nonce does not match the sign-in's") }
        }
        return expires
    }
}
