import Foundation
import HTTPTypes
import Hummingbird
import TapsterCore

/// The portal's cookies, all `HttpOnly; SameSite=Strict; Path=/` (and `Secure` over TLS):
/// the session secret, the login form's CSRF nonce, and a one-shot notice shown after a redirect.
struct PortalCookies: Sendable {
    /// The session secret (an API token named `portal-session`).
    static let session = "tapster_session"
    /// A random nonce the login form's CSRF token is derived from, before there is a session.
    static let login = "tapster_login"
    /// A notice for the next page ("Tap stopped."), base64url-encoded.
    static let notice = "tapster_notice"

    /// Whether the portal is served over TLS itself (every cookie then carries `Secure`).
    let servedOverTLS: Bool

    /// Whether the browser reached the portal over HTTPS: through this server's TLS, or through a
    /// TLS-terminating proxy that says `X-Forwarded-Proto: https` (trusting it can only add `Secure`).
    func isSecure(_ request: Request) -> Bool {
        servedOverTLS || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    func cookie(_ name: String, _ value: String, maxAge: Int?, for request: Request) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: isSecure(request), httpOnly: true, sameSite: .strict)
    }

    /// A cookie that makes the browser forget `name`.
    func expired(_ name: String, for request: Request) -> Cookie {
        cookie(name, "", maxAge: 0, for: request)
    }

    /// A notice cookie for the page after a redirect.
    func notice(_ text: String, for request: Request) -> Cookie {
        cookie(Self.notice, Base64URL.encode(Data(text.utf8)), maxAge: 60, for: request)
    }

    /// The notice a request carries, if any.
    static func notice(in request: Request) -> String? {
        guard let value = request.cookies[notice]?.value, !value.isEmpty else { return nil }
        return Base64URL.decode(value).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// A cookie's value, if present and non-empty.
    static func value(_ name: String, in request: Request) -> String? {
        request.cookies[name].map(\.value).flatMap { $0.isEmpty ? nil : $0 }
    }
}
