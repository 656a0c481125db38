import Crypto
import Foundation
import Hummingbird

/// Cross-site request forgery tokens: an HMAC-SHA256 of the cookie secret (the session's, or
/// before login the login nonce's), put in a hidden field of every form and checked on every POST.
///
/// A page on another site can neither read the HttpOnly cookie nor compute the token, and
/// `SameSite=Strict` keeps the cookie off its requests in the first place.
enum CSRF {
    /// The hidden field's name.
    static let field = "csrf"
    private static let purpose = Data("tapster portal csrf v1".utf8)

    /// The token of a cookie secret, in hex.
    static func token(for secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: purpose, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `submitted` is the token of `secret`, compared in constant time.
    static func isValid(_ submitted: String?, secret: String) -> Bool {
        guard let submitted else { return false }
        return constantTimeEqual(submitted, token(for: secret))
    }

    /// Whether two secrets are equal, in time that does not depend on where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
