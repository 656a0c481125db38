import Crypto
import Foundation
import TapsterCore

/// Proof Key for Code Exchange (RFC 7636) with `S256`: a random verifier kept by whoever starts the sign-in,
/// and its challenge sent with the authorization request.
public struct PKCE: Sendable, Equatable {
    public let verifier: String

    public init(verifier: String) {
        self.verifier = verifier
    }

    /// A fresh verifier of 32 random bytes (43 base64url characters).
    public static func random() -> PKCE {
        PKCE(verifier: randomToken())
    }

    /// `BASE64URL(SHA256(verifier))`.
    public var challenge: String { Base64URL.encode(Array(SHA256.hash(data: Data(verifier.utf8)))) }

    public static let method = "S256"
}

/// 32 random bytes in base64url: for `state`, `nonce` and PKCE verifiers.
public func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
}
