import Foundation

/// Which provider URLs Tapster talks to: `https`, and plain `http` only on loopback (a provider on the same
/// machine, a test) unless an admin allows it — keys and tokens in clear text let anyone on the path forge
/// a token.
public struct ProviderURLPolicy: Sendable, Equatable {
    public var allowInsecureHTTP: Bool

    public init(allowInsecureHTTP: Bool = false) {
        self.allowInsecureHTTP = allowInsecureHTTP
    }

    public func permits(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return false }
        switch scheme {
        case "https": return true
        case "http": return allowInsecureHTTP || ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        default: return false
        }
    }

    /// Checks every endpoint a discovery document names.
    public func check(_ metadata: ProviderMetadata) throws(TokenRejection) {
        let endpoints = [metadata.authorizationEndpoint, metadata.jwksURI] + [metadata.tokenEndpoint, metadata.userinfoEndpoint,
            metadata.endSessionEndpoint, metadata.deviceAuthorizationEndpoint, metadata.introspectionEndpoint].compactMap { $0 }
        for endpoint in endpoints where !permits(endpoint) {
            throw TokenRejection("the discovery document names \(endpoint), which is not https")
        }
    }
}
