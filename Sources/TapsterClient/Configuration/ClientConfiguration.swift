import Foundation
import TapsterCore

/// Which server the CLI talks to and with which token.
///
/// Each comes from, in order of precedence: the `--server` / `--token` flags, the
/// `TAPSTER_SERVER` / `TAPSTER_TOKEN` environment variables, the file `tapster login` saved
/// (``ConfigFile``), and for the server the default ``defaultServer``. The saved token is
/// used only with the server it was saved for, so that pointing the CLI at another server
/// never sends it there.
public struct ClientConfiguration: Sendable, Equatable {
    public var server: String
    public var token: String?

    public static let defaultServer = "http://127.0.0.1:7380"

    public init(server: String, token: String?) {
        self.server = server
        self.token = token
    }

    /// Resolves the configuration; pure, so that precedence is easy to test.
    public static func resolve(
        serverFlag: String?, tokenFlag: String?, environment: [String: String], saved: StoredLogin?
    ) throws(TapsterError) -> ClientConfiguration {
        func present(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        let savedServer = try present(saved?.server).map { text throws(TapsterError) in try normalize(server: text) }
        let server = try present(serverFlag ?? environment["TAPSTER_SERVER"]).map { text throws(TapsterError) in try normalize(server: text) }
            ?? savedServer ?? defaultServer
        let savedToken = server == savedServer ? present(saved?.token) : nil
        let token = present(tokenFlag) ?? present(environment["TAPSTER_TOKEN"]) ?? savedToken
        return ClientConfiguration(server: server, token: token)
    }

    /// `http://host:port` from what a user typed: adds `http://` when no scheme is given and
    /// drops a trailing `/`. Only http and https with a host are accepted.
    public static func normalize(server text: String) throws(TapsterError) -> String {
        var url = text.trimmingCharacters(in: .whitespaces)
        if !url.contains("://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil else {
            throw TapsterError(.invalidArgument, "\"\(text)\" is not a server URL such as http://127.0.0.1:7380", field: "server")
        }
        return url
    }
}
