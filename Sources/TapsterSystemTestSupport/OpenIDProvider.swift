import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TapsterCore

/// A real OpenID Provider for tests (`oidc-provider-mock` from PyPI, run by `scripts/oidc-provider-for-tests.sh`):
/// any client id and redirect URI, a login form that takes any subject, and claims a test sets per subject.
///
/// ``shared`` is the one provider of a test run (`TAPSTER_TEST_OIDC_ISSUER`, which `make test` sets, or
/// started on first use); ``withPrivate(options:_:)`` runs one of a test's own (its own port, signing key and
/// token lifetime), for tests that restart or age it. The test plays the browser's part: ``authorize(…)``
/// submits the provider's form as a person would and returns where the provider sends the browser next.
public struct OpenIDProvider: Sendable {
    public let issuer: String
    /// The private instance's port and directory; `nil` for the shared one.
    private let instance: (port: Int, directory: String)?

    /// The run's shared provider.
    public static func shared() throws -> OpenIDProvider {
        try sharedIssuer.withLock { issuer in
            if let issuer { return OpenIDProvider(issuer: issuer, instance: nil) }
            let configured = ProcessInfo.processInfo.environment["TAPSTER_TEST_OIDC_ISSUER"].flatMap { $0.isEmpty ? nil : $0 }
            let started = try configured ?? ProcessRunner.run([script, "start"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            issuer = started
            return OpenIDProvider(issuer: started, instance: nil)
        }
    }

    private static let sharedIssuer = Mutex<String?>(nil)
    private static var script: String { repositoryRoot.appendingPathComponent("scripts/oidc-provider-for-tests.sh").path }

    /// Runs `body` with a provider of its own (`options` go to oidc-provider-mock, e.g. `--token-max-age 3`),
    /// stopped and removed afterwards whatever happens.
    public static func withPrivate<T: Sendable>(options: [String] = [], _ body: (OpenIDProvider) async throws -> T) async throws -> T {
        let scratch = try ScratchDirectory(label: "oidc-provider")
        defer { scratch.remove() }
        let port = try freeLoopbackPort()
        let provider = OpenIDProvider(issuer: "http://127.0.0.1:\(port)", instance: (port, scratch.path + "/provider"))
        defer { _ = try? provider.control(["stop"]) }
        try provider.start(options: options)
        return try await body(provider)
    }

    private func control(_ arguments: [String]) throws -> ProcessRunner.Output {
        guard let instance else { return try ProcessRunner.run([Self.script] + arguments) }
        return try ProcessRunner.run(["env", "TAPSTER_OIDC_PORT=\(instance.port)", "TAPSTER_OIDC_DIR=\(instance.directory)", Self.script] + arguments)
    }

    private func start(options: [String]) throws {
        _ = try control(["start"] + options)
    }

    /// Stops and starts a private provider on the same port: it comes back with a new signing key (and forgets
    /// its users and tokens), as a provider rotating its keys does.
    public func restart(options: [String] = []) throws {
        precondition(instance != nil, "only a test's own provider is restarted")
        _ = try control(["stop"])
        try start(options: options)
    }

    /// Sets the claims the provider puts in `subject`'s tokens (`groups`, `preferred_username`, `email`, …).
    public func setClaims(of subject: String, _ claims: [String: any Sendable]) async throws {
        let body = try JSONSerialization.data(withJSONObject: claims)
        let answer = try await Self.send(.PUT, issuer + "/users/" + subject, body: body, contentType: "application/json")
        guard answer.status == 204 else { throw ProviderRefused(message: "PUT /users/\(subject) answered \(answer.status): \(answer.text)") }
    }

    /// What the provider's authorization endpoint does with a person who signs in as `subject`: the location
    /// it redirects the browser to (the client's redirect URI with `code` and `state`).
    public func authorize(_ authorizationURL: String, as subject: String) async throws -> String {
        // The provider shows its form on GET (checking the request), and takes the person's choice on POST.
        let form = try await Self.send(.GET, authorizationURL)
        guard form.status == 200 else { throw ProviderRefused(message: "GET authorize answered \(form.status): \(form.text)") }
        let answer = try await Self.send(.POST, authorizationURL, body: Data("sub=\(subject)".utf8), contentType: "application/x-www-form-urlencoded")
        guard answer.status == 302 || answer.status == 303, let location = answer.location else {
            throw ProviderRefused(message: "POST authorize answered \(answer.status): \(answer.text)")
        }
        return location
    }

    /// Tokens for `subject` as `clientID` would get them (authorization code flow, played through): the ID
    /// token (a JWT for `clientID`) and the access token (opaque at this provider).
    public func tokens(for subject: String, clientID: String, scope: String = "openid profile email") async throws -> (idToken: String, accessToken: String) {
        let redirect = "http://127.0.0.1:9/callback"
        var url = URLComponents(string: issuer + "/oauth2/authorize")!
        url.queryItems = [URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: clientID),
                          URLQueryItem(name: "redirect_uri", value: redirect), URLQueryItem(name: "scope", value: scope),
                          URLQueryItem(name: "state", value: "s"), URLQueryItem(name: "nonce", value: "n")]
        let location = try await authorize(url.url!.absoluteString, as: subject)
        guard let code = URLComponents(string: location)?.queryItems?.first(where: { $0.name == "code" })?.value else {
            throw ProviderRefused(message: "no code in \(location)")
        }
        let form = "grant_type=authorization_code&code=\(code)&redirect_uri=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
        // This provider takes any secret for a client it does not know, but wants one.
        let basic = "Basic " + Data("\(clientID):any-secret".utf8).base64EncodedString()
        let answer = try await Self.send(.POST, issuer + "/oauth2/token", body: Data(form.utf8), contentType: "application/x-www-form-urlencoded",
                                         headers: [("Authorization", basic)])
        guard answer.status == 200, let json = try? JSONValue(data: answer.body), let id = json["id_token"]?.string,
              let access = json["access_token"]?.string else {
            throw ProviderRefused(message: "the token endpoint answered \(answer.status): \(answer.text)")
        }
        return (id, access)
    }

    /// An HTTP answer as tests look at it.
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var location: String?
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A browser's `GET` (without following redirects).
    public static func get(_ url: String) async throws -> Answer {
        try await send(.GET, url)
    }

    /// One request without following redirects (a test reads where the browser would go).
    public static func send(_ method: HTTPMethod, _ url: String, body: Data? = nil, contentType: String? = nil,
                            headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await noRedirects.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView), location: response.headers.first(name: "Location"))
    }

    private static let noRedirects: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // The provider (uvicorn) closes a kept-alive connection after 5 idle seconds; a request sent on it as it
        // closes is reset ("Connection reset by peer", seen in the suite under load). Giving up idle connections
        // first means no request goes out on one the provider is closing.
        configuration.connectionPool = .init(idleTimeout: .seconds(1))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}

/// The provider answered a test's request unexpectedly.
public struct ProviderRefused: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
