import Crypto
import Foundation
import TapsterCore
import _CryptoExtras
@testable import TapsterOIDC

/// A provider's signing key in a test: signs JWTs and publishes itself as a JWK.
struct TestSigner {
    enum Key {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
    }

    let key: Key
    let keyID: String

    static func rsa(_ keyID: String) throws -> TestSigner {
        TestSigner(key: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)), keyID: keyID)
    }

    static func p256(_ keyID: String) -> TestSigner {
        TestSigner(key: .p256(P256.Signing.PrivateKey()), keyID: keyID)
    }

    var algorithm: String {
        switch key {
        case .rsa: "RS256"
        case .p256: "ES256"
        }
    }

    /// The public key as a JWKS member.
    var jwk: [String: String] {
        switch key {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            return ["kty": "RSA", "kid": keyID, "use": "sig", "n": Base64URL.encode(primitives.modulus),
                    "e": Base64URL.encode(primitives.publicExponent)]
        case .p256(let key):
            let raw = key.publicKey.rawRepresentation
            return ["kty": "EC", "crv": "P-256", "kid": keyID, "x": Base64URL.encode(raw.prefix(32)), "y": Base64URL.encode(raw.suffix(32))]
        }
    }

    static func jwks(_ signers: [TestSigner]) throws -> JSONWebKeySet {
        try JSONWebKeySet(data: JSONSerialization.data(withJSONObject: ["keys": signers.map(\.jwk)]))
    }

    /// A compact JWS of `claims`, with this key's `kid` and algorithm unless `header` says otherwise.
    func sign(_ claims: [String: Any], header: [String: Any]? = nil) throws -> String {
        let head = try JSONSerialization.data(withJSONObject: header ?? ["alg": algorithm, "kid": keyID, "typ": "JWT"])
        let body = try JSONSerialization.data(withJSONObject: claims)
        let input = Base64URL.encode(head) + "." + Base64URL.encode(body)
        let signature: Data
        switch key {
        case .rsa(let key):
            signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation
        case .p256(let key):
            signature = try key.signature(for: Data(input.utf8)).rawRepresentation
        }
        return input + "." + Base64URL.encode(signature)
    }
}

/// Claims of a valid token from `https://idp.test` for client `tapster`, expiring in an hour from `now`.
func validClaims(now: Date, _ changes: [String: Any] = [:]) -> [String: Any] {
    var claims: [String: Any] = ["iss": "https://idp.test", "sub": "u-1", "aud": "tapster",
                                 "iat": Int(now.timeIntervalSince1970), "exp": Int(now.timeIntervalSince1970) + 3600,
                                 "groups": ["team-shop"]]
    for (key, value) in changes { claims[key] = value }
    return claims
}
