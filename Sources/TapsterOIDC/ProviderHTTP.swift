import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TapsterCore

/// The few HTTP calls identity providers need (discovery, keys, tokens, userinfo, Keystone), with a deadline and
/// a size limit so that a slow or hostile provider cannot hold a request or the server's memory.
public struct ProviderHTTP: Sendable {
    /// What came back: the status, the body, and the headers Keystone answers in.
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var headers: HTTPHeaders
    }

    let client: HTTPClient
    var timeout: TimeAmount = .seconds(10)
    var maximumBytes = 1 << 20

    public init(client: HTTPClient) {
        self.client = client
    }

    /// For every call to identity providers, the server's and the CLI's.
    public static let shared = ProviderHTTP(client: idleClosing)

    /// A client that gives up a kept-alive connection after ``idleTimeout``, before a provider does: providers close
    /// idle connections after a few seconds (uvicorn 5, Apache 5, gunicorn 2), and a request sent on one as it closes
    /// is reset ("Connection reset by peer") — `tapster login --oidc` failed so, its token request sent 5 s after its
    /// discovery, as the user signed in. Otherwise `HTTPClient.shared`'s settings (which keep connections 600 s).
    /// Never shut down: it lives as long as the process.
    static let idleClosing: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool = .init(idleTimeout: idleTimeout)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// How long a connection to a provider is kept for the next call.
    public static let idleTimeout: TimeAmount = .seconds(1)

    public func get(_ url: String, headers: [(String, String)] = []) async throws -> Answer {
        try await send(url, method: .GET, headers: headers, body: nil)
    }

    /// A form POST (`application/x-www-form-urlencoded`), as token endpoints take.
    public func postForm(_ url: String, _ form: [(String, String)], headers: [(String, String)] = []) async throws -> Answer {
        try await send(url, method: .POST, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
                       body: Data(FormEncoding.encode(form).utf8))
    }

    public func postJSON(_ url: String, _ body: Data, headers: [(String, String)] = []) async throws -> Answer {
        try await send(url, method: .POST, headers: headers + [("Content-Type", "application/json")], body: body)
    }

    private func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: Data?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw TapsterError(.unavailable, "\(method.rawValue) \(Self.withoutQuery(url)) failed: \(error)")
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: maximumBytes)
        } catch {
            throw TapsterError(.unavailable, "\(method.rawValue) \(Self.withoutQuery(url)): the answer is larger than \(maximumBytes) bytes")
        }
        return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView), headers: response.headers)
    }

    /// A URL for messages: its query may carry a token or a secret.
    public static func withoutQuery(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}

/// `application/x-www-form-urlencoded`.
public enum FormEncoding {
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    public static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
