import Foundation
import NIOHTTP1

/// S3 answered a request with an error: the `Code` and `Message` of its XML body, or, for answers without a
/// body (`HEAD`), a code made from the status (`NotFound`, `Forbidden`…).
public struct S3ServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The S3 operation, e.g. `PutObject`, `UploadPart`, `CompleteMultipartUpload`.
    public var operation: String
    /// The object key or bucket the request was about.
    public var resource: String
    /// The HTTP status (200 for an error inside a `CompleteMultipartUpload` answer).
    public var status: Int
    /// S3's error code, e.g. ``S3ErrorCode/signatureDoesNotMatch``.
    public var code: S3ErrorCode
    /// S3's message.
    public var message: String
    /// S3's request id, for the provider's support.
    public var requestID: String?

    /// An S3 error answer.
    public init(operation: String, resource: String, status: Int, code: S3ErrorCode, message: String, requestID: String? = nil) {
        self.operation = operation
        self.resource = resource
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String {
        var text = "S3 \(operation) of '\(resource)' failed: \(code.rawValue) (HTTP \(status))"
        if !message.isEmpty { text += ": \(message)" }
        if let requestID { text += " [request \(requestID)]" }
        return text
    }
}

/// An S3 error code (the `<Code>` of an error answer). The ones Tapster reacts to are named; any other code
/// is kept as its raw value.
public struct S3ErrorCode: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The code as S3 spells it.
    public var rawValue: String

    /// The code `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The code `value`.
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    /// The request's signature does not match: wrong secret key, or a signing bug.
    public static let signatureDoesNotMatch: Self = "SignatureDoesNotMatch"
    /// The access key id is unknown.
    public static let invalidAccessKeyID: Self = "InvalidAccessKeyId"
    /// Not allowed.
    public static let accessDenied: Self = "AccessDenied"
    /// No object at the key.
    public static let noSuchKey: Self = "NoSuchKey"
    /// No such bucket.
    public static let noSuchBucket: Self = "NoSuchBucket"
    /// The multipart upload is unknown (completed, aborted, or expired).
    public static let noSuchUpload: Self = "NoSuchUpload"
    /// A part other than the last is smaller than 5 MiB.
    public static let entityTooSmall: Self = "EntityTooSmall"
    /// Creating a bucket this account already has.
    public static let bucketAlreadyOwnedByYou: Self = "BucketAlreadyOwnedByYou"
    /// Creating a bucket someone else has.
    public static let bucketAlreadyExists: Self = "BucketAlreadyExists"
    /// The clocks of the client and the service are too far apart.
    public static let requestTimeTooSkewed: Self = "RequestTimeTooSkewed"
    /// A `HEAD` answered 404 (no body, so no code of S3's own).
    public static let notFound: Self = "NotFound"
    /// A `HEAD` answered 403.
    public static let forbidden: Self = "Forbidden"
}

/// ``S3ObjectStore`` could not complete an exchange: no answer, an answer it cannot read, or a limit of the
/// protocol reached.
public enum S3ClientError: Error, Sendable, CustomStringConvertible {
    /// The request got no answer (connection refused, timeout, TLS failure…).
    case transport(operation: String, resource: String, underlying: String)
    /// The answer was not what S3 sends (unparseable XML, a missing upload id or ETag).
    case malformedResponse(operation: String, resource: String, detail: String)
    /// The body needs more than S3's 10 000 parts at the configured part size.
    case tooManyParts(key: String, partSize: Int)

    public var description: String {
        switch self {
        case .transport(let operation, let resource, let underlying):
            "S3 \(operation) of '\(resource)' got no answer: \(underlying)"
        case .malformedResponse(let operation, let resource, let detail):
            "S3 \(operation) of '\(resource)' gave an unreadable answer: \(detail)"
        case .tooManyParts(let key, let partSize):
            "upload of '\(key)' needs more than \(S3Configuration.maximumPartCount) parts of \(partSize) bytes; raise the part size"
        }
    }
}

extension S3ServiceError {
    /// The error an answer with status `status` and body `body` describes.
    static func from(
        status: HTTPResponseStatus, body: [UInt8], headers: HTTPHeaders, operation: String, resource: String
    ) -> S3ServiceError {
        let requestID = headers.first(name: "x-amz-request-id")
        if let root = S3XMLNode.parse(.init(body)), root.name == "Error", let code = root.text(of: "Code") {
            return S3ServiceError(
                operation: operation, resource: resource, status: Int(status.code), code: S3ErrorCode(rawValue: code),
                message: root.text(of: "Message") ?? "", requestID: root.text(of: "RequestId") ?? requestID)
        }
        let code: S3ErrorCode = switch status.code {
        case 404: .notFound
        case 403: .forbidden
        default: S3ErrorCode(rawValue: status.reasonPhrase.replacingOccurrences(of: " ", with: ""))
        }
        return S3ServiceError(
            operation: operation, resource: resource, status: Int(status.code), code: code,
            message: String(decoding: body.prefix(512), as: UTF8.self), requestID: requestID)
    }
}
