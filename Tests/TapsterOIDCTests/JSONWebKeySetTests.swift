import Foundation
import TapsterCore
import Testing
@testable import TapsterOIDC

/// A token's signature must be the provider's: each way of forging one is refused with a reason naming what failed.
@Suite("JWT signatures against a provider's JWKS")
struct JSONWebKeySetTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func anRS256TokenSignedByTheProvidersKeyVerifies() throws {
        let signer = try TestSigner.rsa("k1")
        let token = try JSONWebToken(compact: signer.sign(validClaims(now: now)))
        try TestSigner.jwks([signer]).verify(token)
        #expect(token.subject == "u-1")
    }

    @Test func anES256TokenSignedByTheProvidersKeyVerifies() throws {
        let signer = TestSigner.p256("ec")
        try TestSigner.jwks([signer]).verify(JSONWebToken(compact: signer.sign(validClaims(now: now))))
    }

    @Test func aTokenSignedByAnotherKeyWithTheSameKidIsRefused() throws {
        let provider = try TestSigner.rsa("k1"), forger = try TestSigner.rsa("k1")
        let token = try JSONWebToken(compact: forger.sign(validClaims(now: now)))
        #expect(throws: TokenRejection("the token's RS256 signature does not verify with the provider's key k1")) {
            try TestSigner.jwks([provider]).verify(token)
        }
    }

    @Test func aTokenNamingAnUnknownKidIsRefusedSayingSo() throws {
        let provider = try TestSigner.rsa("k1"), other = try TestSigner.rsa("k2")
        let token = try JSONWebToken(compact: other.sign(validClaims(now: now)))
        let keys = try TestSigner.jwks([provider])
        #expect(!keys.contains(keyID: "k2"))
        #expect(throws: TokenRejection("no key of the provider has kid k2")) { try keys.verify(token) }
    }

    @Test func algNoneIsRefusedEvenWithoutASignature() throws {
        let signer = try TestSigner.rsa("k1")
        let signed = try signer.sign(validClaims(now: now), header: ["alg": "none", "kid": "k1"])
        let unsigned = signed.split(separator: ".").prefix(2).joined(separator: ".") + "."
        let token = try JSONWebToken(compact: unsigned)
        #expect(throws: TokenRejection.self) { try TestSigner.jwks([signer]).verify(token) }
    }

    @Test func anHMACTokenIsRefusedWhateverItsSecret() throws {
        let signer = try TestSigner.rsa("k1")
        // The classic confusion: HS256 "signed" with the RSA public key as the secret.
        let token = try JSONWebToken(compact: signer.sign(validClaims(now: now), header: ["alg": "HS256", "kid": "k1"]))
        let error = #expect(throws: TokenRejection.self) { try TestSigner.jwks([signer]).verify(token) }
        #expect(error?.reason.hasPrefix("the token's alg HS256 is not accepted") == true)
    }

    @Test func aKeyBoundToAnotherAlgorithmDoesNotVerify() throws {
        let signer = TestSigner.p256("ec")
        let token = try JSONWebToken(compact: signer.sign(validClaims(now: now), header: ["alg": "ES384", "kid": "ec"]))
        #expect(throws: TokenRejection.self) { try TestSigner.jwks([signer]).verify(token) }
    }

    @Test func aTamperedPayloadDoesNotVerify() throws {
        let signer = try TestSigner.rsa("k1")
        let genuine = try signer.sign(validClaims(now: now)).split(separator: ".")
        let admin = try signer.sign(validClaims(now: now, ["groups": ["net-admins"]])).split(separator: ".")
        let token = try JSONWebToken(compact: [genuine[0], admin[1], genuine[2]].joined(separator: "."))
        #expect(throws: TokenRejection.self) { try TestSigner.jwks([signer]).verify(token) }
    }

    @Test func encryptionKeysAndSymmetricKeysAreNotUsedForSignatures() throws {
        let signer = try TestSigner.rsa("k1")
        var encryption = signer.jwk
        encryption["use"] = "enc"
        let data = try JSONSerialization.data(withJSONObject: ["keys": [encryption, ["kty": "oct", "k": "c2VjcmV0", "kid": "k1"]]])
        #expect(try JSONWebKeySet(data: data).keys.isEmpty)
    }

    @Test func onlyCompactSignedTokensParse() {
        #expect(throws: TokenRejection("the token is not a signed JWT (5 parts, not 3)")) { try JSONWebToken(compact: "a.b.c.d.e") }
        #expect(!JSONWebToken.looksLikeJWT("tap_0123456789abcdef"))
        #expect(JSONWebToken.looksLikeJWT("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
    }
}
