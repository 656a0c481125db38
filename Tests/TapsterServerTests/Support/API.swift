import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TapsterCore

/// A thin JSON client over Hummingbird's test client, speaking the API's dialect (``TapsterJSON``).
struct API: Sendable {
    let client: any TestClientProtocol

    /// One answer: status and body, decodable as a value or as the API's error.
    struct Reply: Sendable {
        let status: Int
        let body: Data
        let headers: HTTPFields

        func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
            try TapsterJSON.decoder().decode(T.self, from: body)
        }

        /// The error body, which every non-2xx answer must have.
        var error: TapsterError {
            get throws { try decode(TapsterError.self) }
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func call(_ method: HTTPRequest.Method, _ path: String, token: String?, raw: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: raw.map { ByteBuffer(string: $0) })
        return Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView), headers: response.headers)
    }

    func call(_ method: HTTPRequest.Method, _ path: String, token: String?, json: some Encodable) async throws -> Reply {
        let data = try TapsterJSON.encoder().encode(json)
        return try await call(method, path, token: token, raw: String(decoding: data, as: UTF8.self))
    }

    /// Calls and decodes a 2xx answer; fails the test with the API's error otherwise.
    func expect<T: Decodable>(_ type: T.Type, _ method: HTTPRequest.Method, _ path: String, token: String?,
                              json: (any Encodable & Sendable)? = nil) async throws -> T {
        let reply: Reply
        if let json { reply = try await call(method, path, token: token, json: json) } else { reply = try await call(method, path, token: token) }
        guard (200..<300).contains(reply.status) else {
            throw UnexpectedReply(method: method, path: path, status: reply.status, body: reply.text)
        }
        return try reply.decode(T.self)
    }

    /// Calls and returns the API error of a non-2xx answer, checking its status.
    func failure(_ method: HTTPRequest.Method, _ path: String, token: String?, json: (any Encodable & Sendable)? = nil,
                 raw: String? = nil) async throws -> (status: Int, error: TapsterError) {
        let reply: Reply
        if let json { reply = try await call(method, path, token: token, json: json) } else { reply = try await call(method, path, token: token, raw: raw) }
        guard !(200..<300).contains(reply.status) else {
            throw UnexpectedReply(method: method, path: path, status: reply.status, body: reply.text)
        }
        return (reply.status, try reply.error)
    }
}

/// A request answered otherwise than the test expects.
struct UnexpectedReply: Error, CustomStringConvertible {
    let method: HTTPRequest.Method
    let path: String
    let status: Int
    let body: String
    var description: String { "\(method) \(path) answered \(status): \(body)" }
}
