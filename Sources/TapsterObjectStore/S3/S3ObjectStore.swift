import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An ``ObjectStore`` on an S3-compatible service (AWS S3, MinIO, Ceph RGW, moto…), speaking the S3 REST API
/// over the caller's `HTTPClient`, with requests signed by ``SigV4Signer``.
///
/// - Uploads stream: the body is cut into parts of ``S3Configuration/partSize``; a body smaller than one
///   part is one `PutObject`, a larger one a multipart upload (parts uploaded one after the other, so one
///   part is in memory at a time), aborted with `AbortMultipartUpload` if anything fails. Every part's
///   payload is hashed into `x-amz-content-sha256`; tags go in `x-amz-tagging`.
/// - ``head(key:)`` is `HeadObject` then `GetObjectTagging`; ``list(prefix:)`` is `ListObjectsV2`, following
///   continuation tokens, without tags; ``tags(key:)`` is `GetObjectTagging`.
/// - Keys are stored under ``S3Configuration/keyPrefix``, which results do not show.
/// - Nothing is retried: a failed request throws ``S3ServiceError`` (S3's code and message) or
///   ``S3ClientError`` (no answer, or an unreadable one).
///
/// The store does not own `httpClient`: the caller shuts it down.
public struct S3ObjectStore: ObjectStore {
    /// Where and how to reach the service.
    public let configuration: S3Configuration
    let httpClient: HTTPClient
    let logger: Logger
    let signer: SigV4Signer

    /// The largest XML answer read (a page of 1000 keys is about 300 KiB).
    static let maximumXMLAnswer = 8 << 20

    /// A store in `configuration.bucket` using `httpClient` (which the caller keeps and shuts down).
    public init(configuration: S3Configuration, httpClient: HTTPClient, logger: Logger = Logger(label: "tapster.objectstore.s3")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        signer = SigV4Signer(
            accessKeyID: configuration.accessKeyID, secretAccessKey: configuration.secretAccessKey,
            sessionToken: configuration.sessionToken, region: configuration.region, service: "s3")
    }

    /// Creates the bucket (`CreateBucket`, with a `LocationConstraint` outside `us-east-1`). A bucket this
    /// account already owns is fine, so it may be called at every start.
    public func createBucket() async throws {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(string: """
                <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
                <LocationConstraint>\(S3XMLNode.escape(configuration.region))</LocationConstraint>\
                </CreateBucketConfiguration>
                """)
        }
        do {
            _ = try await executeReadingAll(S3Call(
                operation: "CreateBucket", method: .PUT, objectName: nil, resource: configuration.bucket, body: body))
        } catch let error as S3ServiceError where error.code == .bucketAlreadyOwnedByYou {
            return
        }
    }

    public func download(key: String) async throws -> ObjectDownload {
        try ObjectKey.validate(key)
        let response: HTTPClientResponse
        do {
            response = try await execute(S3Call(operation: "GetObject", method: .GET, objectName: objectName(key), resource: key))
        } catch let error as S3ServiceError where error.code == .noSuchKey {
            throw ObjectStoreError.notFound(key: key)
        }
        guard let length = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw S3ClientError.malformedResponse(operation: "GetObject", resource: key, detail: "no Content-Length")
        }
        let object = StoredObject(
            key: key, size: length, lastModified: lastModified(response.headers), tags: nil,
            contentType: response.headers.first(name: "content-type"), etag: Self.etag(response.headers))
        return ObjectDownload(object: object, body: ObjectByteStream(response.body))
    }

    public func head(key: String) async throws -> StoredObject? {
        try ObjectKey.validate(key)
        let response: HTTPClientResponse
        do {
            response = try await executeReadingAll(
                S3Call(operation: "HeadObject", method: .HEAD, objectName: objectName(key), resource: key)).response
        } catch let error as S3ServiceError where error.status == 404 {
            return nil
        }
        guard let length = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw S3ClientError.malformedResponse(operation: "HeadObject", resource: key, detail: "no Content-Length")
        }
        let tags: [String: String]
        do {
            tags = try await self.tags(key: key)
        } catch ObjectStoreError.notFound {
            return nil  // deleted between the two requests
        }
        return StoredObject(
            key: key, size: length, lastModified: lastModified(response.headers), tags: tags,
            contentType: response.headers.first(name: "content-type"), etag: Self.etag(response.headers))
    }

    public func tags(key: String) async throws -> [String: String] {
        try ObjectKey.validate(key)
        let body: ByteBuffer
        do {
            body = try await executeReadingAll(S3Call(
                operation: "GetObjectTagging", method: .GET, objectName: objectName(key), resource: key,
                query: [("tagging", "")])).body
        } catch let error as S3ServiceError where error.code == .noSuchKey {
            throw ObjectStoreError.notFound(key: key)
        }
        let root = try parseXML(body, operation: "GetObjectTagging", resource: key)
        var tags: [String: String] = [:]
        for tag in root.child("TagSet")?.all("Tag") ?? [] {
            if let name = tag.text(of: "Key") { tags[name] = tag.text(of: "Value") ?? "" }
        }
        return tags
    }

    public func delete(key: String) async throws {
        try ObjectKey.validate(key)
        _ = try await executeReadingAll(S3Call(operation: "DeleteObject", method: .DELETE, objectName: objectName(key), resource: key))
    }

    // MARK: - Shared

    /// The object's name in the bucket.
    func objectName(_ key: String) -> String { configuration.keyPrefix + key }

    /// S3's ETag without its quotes.
    static func etag(_ headers: HTTPHeaders) -> String? {
        headers.first(name: "etag").map(unquote)
    }

    static func unquote(_ text: String) -> String {
        var text = Substring(text.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        return String(text)
    }

    /// `Last-Modified`, or the answer's `Date`, or now.
    func lastModified(_ headers: HTTPHeaders) -> Date {
        headers.first(name: "last-modified").flatMap(HTTPDate.rfc7231)
            ?? headers.first(name: "date").flatMap(HTTPDate.rfc7231) ?? Date()
    }

    func parseXML(_ body: ByteBuffer, operation: String, resource: String) throws -> S3XMLNode {
        guard let root = S3XMLNode.parse(Data(body.readableBytesView)) else {
            throw S3ClientError.malformedResponse(
                operation: operation, resource: resource,
                detail: "not XML: \(String(decoding: body.readableBytesView.prefix(200), as: UTF8.self))")
        }
        return root
    }
}
