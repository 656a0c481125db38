import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension S3ObjectStore {
    /// The most of an error answer's body read.
    static let maximumErrorAnswer = 64 << 10

    /// Signs and sends `call`; returns the answer with its body unread when the status is 2xx.
    ///
    /// - Throws: ``S3ServiceError`` for any other status (its body read and parsed), ``S3ClientError/transport(operation:resource:underlying:)``
    ///   when no answer came, `CancellationError` when the task is cancelled.
    func execute(_ call: S3Call) async throws -> HTTPClientResponse {
        let request = signedRequest(call)
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: Self.timeAmount(configuration.requestTimeout))
        } catch {
            try Task.checkCancellation()
            throw S3ClientError.transport(operation: call.operation, resource: call.resource, underlying: "\(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try await Self.read(response.body, upTo: Self.maximumErrorAnswer, operation: call.operation, resource: call.resource)
            let error = S3ServiceError.from(
                status: response.status, body: Array(body.readableBytesView), headers: response.headers,
                operation: call.operation, resource: call.resource)
            logger.debug("S3 request failed", metadata: ["error": "\(error)"])
            throw error
        }
        return response
    }

    /// ``execute(_:)`` and read the whole (small) body.
    func executeReadingAll(_ call: S3Call) async throws -> (response: HTTPClientResponse, body: ByteBuffer) {
        let response = try await execute(call)
        let body = try await Self.read(response.body, upTo: Self.maximumXMLAnswer, operation: call.operation, resource: call.resource)
        return (response, body)
    }

    /// `call` as an `HTTPClientRequest` with its `Host` and SigV4 headers.
    func signedRequest(_ call: S3Call, at date: Date = Date()) -> HTTPClientRequest {
        let target = S3Target(configuration: configuration, objectName: call.objectName, query: call.query)
        let payloadHash = call.body.map { body in
            body.withUnsafeReadableBytes { SigV4Signer.payloadHash($0) }
        } ?? SigV4Signer.emptyPayloadHash
        let toSign = [("host", target.host)] + call.headers
        let authentication = signer.sign(
            SigV4Signer.Request(
                method: call.method.rawValue, encodedPath: target.encodedPath, query: call.query, headers: toSign,
                payloadHash: payloadHash),
            at: date)
        var request = HTTPClientRequest(url: target.url)
        request.method = call.method
        for (name, value) in toSign + authentication { request.headers.add(name: name, value: value) }
        // AsyncHTTPClient sets Content-Length itself (0 for a PUT or POST without a body).
        if let body = call.body { request.body = .bytes(body) }
        return request
    }

    /// Reads `body` whole, failing past `limit` bytes.
    static func read(_ body: HTTPClientResponse.Body, upTo limit: Int, operation: String, resource: String) async throws -> ByteBuffer {
        var all = ByteBuffer()
        do {
            for try await chunk in body {
                guard all.readableBytes + chunk.readableBytes <= limit else {
                    throw S3ClientError.malformedResponse(
                        operation: operation, resource: resource, detail: "answer larger than \(limit) bytes")
                }
                all.writeImmutableBuffer(chunk)
            }
        } catch let error as S3ClientError {
            throw error
        } catch {
            try Task.checkCancellation()
            throw S3ClientError.transport(operation: operation, resource: resource, underlying: "\(error)")
        }
        return all
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
