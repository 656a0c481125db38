import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TapsterCore

/// A client of Tapster's native API (`/api/v1`): bearer-token authentication, JSON in the
/// API's dialect (``TapsterJSON``), API errors thrown as ``TapsterError`` and connection
/// failures as ``ServerUnreachable``.
///
/// It owns its HTTP client; call ``shutdown()`` when done, or use ``with(server:token:_:)``.
public final class APIClient: Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:7380` (no trailing slash).
    public let server: String
    /// The API token sent as `Authorization: Bearer …`, if any.
    public let token: String?
    private let http: HTTPClient
    /// For long answers (a live capture): no read timeout, since a capture may be quiet for minutes.
    let streamingHTTP: HTTPClient

    /// How long one request may take, connection included.
    public static let requestTimeout: TimeAmount = .seconds(30)
    /// The largest answer read (a long audit log fits comfortably).
    public static let maximumAnswerSize = 64 << 20

    public init(server: String, token: String?) {
        self.server = server
        self.token = token
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        // Fail at once when the server is down, instead of retrying until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        streamingHTTP = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Runs `body` with a client for `server`, and shuts the client down afterwards, whatever happens.
    public static func with<Result: Sendable>(
        server: String, token: String?, _ body: (APIClient) async throws -> Result
    ) async throws -> Result {
        let client = APIClient(server: server, token: token)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Releases the client's connections. Call once, after the last request.
    public func shutdown() async {
        try? await http.shutdown()
        try? await streamingHTTP.shutdown()
    }

    /// Sends one request and returns the answer's body when its status is 2xx.
    ///
    /// - Throws: ``TapsterError`` for an error answer (`{"code","message"}` body, or one
    ///   made from the status), ``ServerUnreachable`` when no answer came.
    public func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, authenticated: Bool = true) async throws -> Data {
        var request = try makeRequest(method, path, accept: "application/json", authenticated: authenticated)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: HTTPResponseStatus
        let answer: Data
        do {
            let response = try await http.execute(request, timeout: Self.requestTimeout)
            status = response.status
            let buffer = try await response.body.collect(upTo: Self.maximumAnswerSize)
            answer = Data(buffer.readableBytesView)
        } catch {
            throw ServerUnreachable.classify(error, server: server) ?? error
        }
        guard (200..<300).contains(status.code) else {
            throw APIErrorBody.error(status: status, body: answer)
        }
        return answer
    }

    /// A request to `path` with the CLI's headers and, when `authenticated`, the token.
    func makeRequest(_ method: HTTPMethod, _ path: String, accept: String, authenticated: Bool) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "User-Agent", value: "tapster-cli")
        request.headers.add(name: "Accept", value: accept)
        if authenticated {
            guard let token, !token.isEmpty else {
                throw TapsterError(.unauthenticated, "no API token for \(server): run 'tapster login --server \(server) --user NAME' or set TAPSTER_TOKEN")
            }
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return request
    }

    /// Sends a request and decodes the answer as `Value`, keeping its JSON too.
    public func call<Value: Decodable & Sendable>(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, authenticated: Bool = true, as type: Value.Type = Value.self
    ) async throws -> APIResponse<Value> {
        let data = try await send(method, path, body: body, authenticated: authenticated)
        do {
            return APIResponse(value: try TapsterJSON.decoder().decode(Value.self, from: data), json: try JSONValue(data: data))
        } catch {
            throw TapsterError(.internal, "cannot read the server's answer to \(method) \(path): \(DecodingSummary.describe(error))")
        }
    }

    /// Encodes a request body in the API's JSON dialect.
    public static func encode(_ body: some Encodable) throws -> Data {
        try TapsterJSON.encoder().encode(body)
    }
}
