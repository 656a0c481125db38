import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TapsterCore

extension APIClient {
    /// `GET path` and hands each chunk of the answer's body to `sink` as it arrives, never holding the
    /// whole body (a capture may be gigabytes); returns how many bytes came. No read timeout: a live
    /// capture may be quiet for a long time.
    ///
    /// - Throws: ``TapsterError`` for an error answer, ``ServerUnreachable`` when no answer came, or
    ///   what `sink` throws.
    @discardableResult
    public func stream(_ path: String, accept: String, authenticated: Bool = true,
                       to sink: (ByteBuffer) async throws -> Void) async throws -> Int64 {
        let request = try makeRequest(.GET, path, accept: accept, authenticated: authenticated)
        let response: HTTPClientResponse
        do {
            response = try await streamingHTTP.execute(request, deadline: .distantFuture)
        } catch {
            throw ServerUnreachable.classify(error, server: server) ?? error
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw APIErrorBody.error(status: response.status, body: Data(body.readableBytesView))
        }
        var received: Int64 = 0
        do {
            for try await chunk in response.body {
                received += Int64(chunk.readableBytes)
                try await sink(chunk)
            }
        } catch let error as HTTPClientError {
            throw ServerUnreachable.classify(error, server: server) ?? error
        }
        return received
    }
}
