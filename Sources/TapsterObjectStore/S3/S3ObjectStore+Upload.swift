import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension S3ObjectStore {
    public func upload(
        key: String, tags: [String: String], contentType: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable
    ) async throws -> StoredObject {
        try ObjectKey.validate(key)
        try ObjectTags.validate(tags)
        let partSize = configuration.partSize
        var headers: [(name: String, value: String)] = [("content-type", contentType)]
        if !tags.isEmpty { headers.append(("x-amz-tagging", Self.taggingHeader(tags))) }

        // Never more than one part in memory: a full part is sent only once a further byte shows it is not
        // the last, and a body that never fills one part is a single PutObject.
        var pending = ByteBufferAllocator().buffer(capacity: partSize)
        var multipart: MultipartUpload?
        var size: Int64 = 0
        do {
            for try await var chunk in body {
                size += Int64(chunk.readableBytes)
                while chunk.readableBytes > 0 {
                    if pending.readableBytes == partSize {
                        if multipart == nil {
                            multipart = try await createMultipartUpload(key: key, headers: headers)
                        }
                        guard multipart!.parts.count < S3Configuration.maximumPartCount - 1 else {
                            throw S3ClientError.tooManyParts(key: key, partSize: partSize)
                        }
                        try await uploadPart(pending, of: &multipart!)
                        pending.clear()
                    }
                    var piece = chunk.readSlice(length: Swift.min(partSize - pending.readableBytes, chunk.readableBytes))!
                    pending.writeBuffer(&piece)
                }
            }
            guard var upload = multipart else {
                let response = try await executeReadingAll(S3Call(
                    operation: "PutObject", method: .PUT, objectName: objectName(key), resource: key,
                    headers: headers, body: pending)).response
                return StoredObject(
                    key: key, size: size, lastModified: lastModified(response.headers), tags: tags,
                    contentType: contentType, etag: Self.etag(response.headers))
            }
            try await uploadPart(pending, of: &upload)
            multipart = upload
            let (etag, date) = try await completeMultipartUpload(upload)
            return StoredObject(
                key: key, size: size, lastModified: date, tags: tags, contentType: contentType, etag: etag)
        } catch {
            if let upload = multipart {
                // A fresh task: the abort must go out even when this one was cancelled.
                await Task { await abortMultipartUpload(upload) }.value
            }
            throw error
        }
    }

    /// `k1=v1&k2=v2`, URL-encoded, sorted by key, for `x-amz-tagging`.
    static func taggingHeader(_ tags: [String: String]) -> String {
        tags.sorted { $0.key < $1.key }
            .map { AWSURIEncoding.query($0.key) + "=" + AWSURIEncoding.query($0.value) }
            .joined(separator: "&")
    }

    // MARK: - Multipart steps

    /// A multipart upload in progress: its id and the ETags of the parts sent so far.
    struct MultipartUpload: Sendable {
        var key: String
        var uploadID: String
        var parts: [String] = []
    }

    private func createMultipartUpload(key: String, headers: [(name: String, value: String)]) async throws -> MultipartUpload {
        let body = try await executeReadingAll(S3Call(
            operation: "CreateMultipartUpload", method: .POST, objectName: objectName(key), resource: key,
            query: [("uploads", "")], headers: headers)).body
        let root = try parseXML(body, operation: "CreateMultipartUpload", resource: key)
        guard let uploadID = root.text(of: "UploadId"), !uploadID.isEmpty else {
            throw S3ClientError.malformedResponse(operation: "CreateMultipartUpload", resource: key, detail: "no UploadId")
        }
        logger.debug("S3 multipart upload started", metadata: ["key": "\(key)", "upload-id": "\(uploadID)"])
        return MultipartUpload(key: key, uploadID: uploadID)
    }

    private func uploadPart(_ part: ByteBuffer, of upload: inout MultipartUpload) async throws {
        let number = upload.parts.count + 1
        let response = try await executeReadingAll(S3Call(
            operation: "UploadPart", method: .PUT, objectName: objectName(upload.key), resource: upload.key,
            query: [("partNumber", String(number)), ("uploadId", upload.uploadID)], body: part)).response
        guard let etag = response.headers.first(name: "etag") else {
            throw S3ClientError.malformedResponse(operation: "UploadPart", resource: upload.key, detail: "part \(number) has no ETag")
        }
        upload.parts.append(etag)
    }

    /// Completes `upload`; returns the object's ETag and the time of the answer. S3 may answer 200 with an
    /// `<Error>` body, which is thrown as an ``S3ServiceError``.
    private func completeMultipartUpload(_ upload: MultipartUpload) async throws -> (etag: String?, date: Date) {
        var xml = #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
        for (index, etag) in upload.parts.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3XMLNode.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let (response, body) = try await executeReadingAll(S3Call(
            operation: "CompleteMultipartUpload", method: .POST, objectName: objectName(upload.key), resource: upload.key,
            query: [("uploadId", upload.uploadID)], headers: [("content-type", "application/xml")],
            body: ByteBuffer(string: xml)))
        let root = try parseXML(body, operation: "CompleteMultipartUpload", resource: upload.key)
        if root.name == "Error" {
            throw S3ServiceError.from(
                status: response.status, body: Array(body.readableBytesView), headers: response.headers,
                operation: "CompleteMultipartUpload", resource: upload.key)
        }
        let etag = root.text(of: "ETag").map(Self.unquote) ?? Self.etag(response.headers)
        logger.debug("S3 multipart upload completed", metadata: ["key": "\(upload.key)", "parts": "\(upload.parts.count)"])
        return (etag, response.headers.first(name: "date").flatMap(HTTPDate.rfc7231) ?? Date())
    }

    /// Aborts `upload`, so that S3 drops its parts. A failure is logged, not thrown: the upload's own error
    /// is the one to report, and a bucket lifecycle rule can clean what is left.
    private func abortMultipartUpload(_ upload: MultipartUpload) async {
        do {
            _ = try await executeReadingAll(S3Call(
                operation: "AbortMultipartUpload", method: .DELETE, objectName: objectName(upload.key), resource: upload.key,
                query: [("uploadId", upload.uploadID)]))
            logger.debug("S3 multipart upload aborted", metadata: ["key": "\(upload.key)", "upload-id": "\(upload.uploadID)"])
        } catch {
            logger.warning(
                "S3 multipart upload could not be aborted",
                metadata: ["key": "\(upload.key)", "upload-id": "\(upload.uploadID)", "error": "\(error)"])
        }
    }
}
