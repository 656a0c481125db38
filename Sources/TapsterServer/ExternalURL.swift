import Foundation
import TapsterCore

/// The base URL users reach the server at, as an admin configured it (`tapster serve --external-url`):
/// `http` or `https`, a host, an optional port and path prefix, no query, no fragment, no credentials.
public struct ExternalURL: Sendable, Equatable, CustomStringConvertible {
    /// Without a trailing slash, e.g. `https://tapster.example.com/net`.
    public let description: String

    public init(parsing text: String) throws(TapsterError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil, components.password == nil,
              !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false }) else {
            throw TapsterError.invalid("external-url", "\"\(text)\" is not an http(s) URL such as https://tapster.example.com (no query, no credentials)")
        }
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        description = base
    }

    /// The absolute URL of `path` (which starts with `/`).
    public func absolute(_ path: String) -> String { description + path }
}
