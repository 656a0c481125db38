import Foundation
import TapsterCore
import Testing
@testable import TapsterOIDC

/// The claims a signed token must also carry: the provider's issuer, one of this server's audiences, times.
@Suite("Token claims: issuer, audience, expiry, nonce")
struct TokenValidationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let validation = TokenValidation(issuer: "https://idp.test", audiences: ["tapster", "tapster-cli"])

    func claims(_ changes: [String: Any] = [:]) throws -> JSONValue {
        try JSONValue(data: JSONSerialization.data(withJSONObject: validClaims(now: now, changes)))
    }

    @Test func aValidTokenPassesAndSaysWhenItExpires() throws {
        #expect(try validation.check(claims(), at: now) == now.addingTimeInterval(3600))
    }

    @Test func anotherIssuerIsRefused() throws {
        #expect(throws: TokenRejection("the token's iss https://evil.test is not the provider's issuer https://idp.test")) {
            try validation.check(claims(["iss": "https://evil.test"]), at: now)
        }
    }

    @Test func anotherAudienceIsRefused() throws {
        #expect(throws: TokenRejection("the token's aud grafana is none of this server's client ids tapster,tapster-cli")) {
            try validation.check(claims(["aud": "grafana"]), at: now)
        }
    }

    @Test func anAudienceListIncludingThisServerIsAccepted() throws {
        try validation.check(claims(["aud": ["grafana", "tapster-cli"]]), at: now)
    }

    @Test func anExpiredTokenIsRefusedOutsideTheClockSkew() throws {
        let expired = try claims(["exp": Int(now.timeIntervalSince1970) - 61])
        #expect(throws: TokenRejection.self) { try validation.check(expired, at: now) }
        try validation.check(claims(["exp": Int(now.timeIntervalSince1970) - 30]), at: now)
    }

    @Test func aTokenWithoutExpiryIsRefused() throws {
        var raw = validClaims(now: now)
        raw["exp"] = nil
        let claims = try JSONValue(data: JSONSerialization.data(withJSONObject: raw))
        #expect(throws: TokenRejection("the token has no exp claim")) { try validation.check(claims, at: now) }
    }

    @Test func aTokenNotYetValidIsRefused() throws {
        #expect(throws: TokenRejection.self) { try validation.check(claims(["nbf": Int(now.timeIntervalSince1970) + 600]), at: now) }
    }

    @Test func anIDTokenAnsweringAnotherSignInsNonceIsRefused() throws {
        var expecting = validation
        expecting.nonce = "n-1"
        try expecting.check(claims(["nonce": "n-1"]), at: now)
        #expect(throws: TokenRejection("the ID token's nonce does not match the sign-in's")) {
            try expecting.check(claims(["nonce": "n-2"]), at: now)
        }
    }
}

extension TokenValidationTests {
    @Test func aTokenIssuedToAnotherClientIsRefusedEvenWhenItsAudienceIncludesThisServer() throws {
        #expect(throws: TokenRejection("the token was issued to grafana (azp), none of this server's client ids")) {
            try validation.check(claims(["aud": ["tapster", "grafana"], "azp": "grafana"]), at: now)
        }
    }
}
