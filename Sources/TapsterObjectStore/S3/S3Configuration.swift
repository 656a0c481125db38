import Foundation

/// Where and how ``S3ObjectStore`` reaches an S3-compatible service (AWS S3, MinIO, Ceph RGW, moto…).
///
/// Every object key is stored under ``keyPrefix`` in ``bucket``. Requests are signed with AWS Signature
/// Version 4 for ``region``. Build it field by field, or parse a URL with ``init(parsing:environment:)``.
public struct S3Configuration: Sendable, Hashable, CustomStringConvertible {
    /// How the bucket appears in request URLs.
    public enum Addressing: String, Sendable, Hashable, CaseIterable {
        /// `http://endpoint/bucket/key` — what MinIO, moto and most self-hosted services expect.
        case path
        /// `https://bucket.endpoint/key` — AWS's default (the bucket name must be a valid host label).
        case virtualHost = "virtual-host"
    }

    /// S3's smallest part other than the last: 5 MiB.
    public static let minimumPartSize = 5 << 20
    /// S3's largest part: 5 GiB.
    public static let maximumPartSize = 5 << 30
    /// S3's most parts in one upload.
    public static let maximumPartCount = 10_000
    /// The part size unless told otherwise: 8 MiB, so uploads up to 78 GiB fit in 10 000 parts.
    public static let defaultPartSize = 8 << 20

    /// The service's base URL, `http` or `https`, with no path: e.g. `http://127.0.0.1:9000`,
    /// `https://s3.eu-west-1.amazonaws.com`.
    public var endpoint: URL
    /// The signing region, e.g. `us-east-1`.
    public var region: String
    /// The bucket.
    public var bucket: String
    /// Prepended to every key: empty, or ending with `/` (e.g. `tapster/`).
    public var keyPrefix: String
    /// AWS access key id.
    public var accessKeyID: String
    /// AWS secret access key.
    public var secretAccessKey: String
    /// Session token of temporary credentials, if any.
    public var sessionToken: String?
    /// Path-style or virtual-host addressing.
    public var addressing: Addressing
    /// Size of every part of a multipart upload but the last, and the threshold below which an upload is one
    /// `PutObject`: at least ``minimumPartSize``, at most ``maximumPartSize``. One part is held in memory
    /// per upload in progress.
    public var partSize: Int
    /// Keys asked for per `ListObjectsV2` page (1…1000; S3 may return fewer).
    public var listPageSize: Int
    /// How long one request may take to be answered (the answer's headers; a download's body then streams
    /// for as long as it takes).
    public var requestTimeout: Duration

    /// A configuration, checked.
    ///
    /// - Parameters:
    ///   - endpoint: the service's base URL; `nil` means AWS, `https://s3.<region>.amazonaws.com`.
    ///   - addressing: `nil` means ``Addressing/path`` with an explicit endpoint and
    ///     ``Addressing/virtualHost`` for AWS.
    /// - Throws: ``S3ConfigurationError`` for an endpoint that is not a bare `http(s)` URL, an invalid bucket
    ///   name or key prefix, a part size or page size out of range.
    public init(
        endpoint: URL? = nil, region: String = "us-east-1", bucket: String, keyPrefix: String = "",
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil,
        addressing: Addressing? = nil, partSize: Int = defaultPartSize, listPageSize: Int = 1000,
        requestTimeout: Duration = .seconds(120)
    ) throws(S3ConfigurationError) {
        let resolvedEndpoint = endpoint ?? URL(string: "https://s3.\(region).amazonaws.com")!
        try Self.checkEndpoint(resolvedEndpoint)
        try Self.checkBucket(bucket)
        guard !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw .invalidRegion(region)
        }
        guard (Self.minimumPartSize...Self.maximumPartSize).contains(partSize) else { throw .invalidPartSize(partSize) }
        guard (1...1000).contains(listPageSize) else { throw .invalidListPageSize(listPageSize) }
        var prefix = keyPrefix
        while prefix.hasPrefix("/") { prefix.removeFirst() }
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        do { try ObjectKey.validatePrefix(prefix) } catch { throw .invalidKeyPrefix(keyPrefix) }
        guard !accessKeyID.isEmpty, !secretAccessKey.isEmpty else { throw .missingCredentials([]) }
        self.endpoint = resolvedEndpoint
        self.region = region
        self.bucket = bucket
        self.keyPrefix = prefix
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.addressing = addressing ?? (endpoint == nil ? .virtualHost : .path)
        self.partSize = partSize
        self.listPageSize = listPageSize
        self.requestTimeout = requestTimeout
    }

    /// The configuration without the secret key or session token.
    public var description: String {
        "s3://\(bucket)/\(keyPrefix) at \(endpoint.absoluteString) (region \(region), \(addressing.rawValue) addressing, "
            + "part size \(partSize), access key \(accessKeyID))"
    }

    private static func checkEndpoint(_ endpoint: URL) throws(S3ConfigurationError) {
        let text = endpoint.absoluteString
        guard let components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { throw .invalidEndpoint(text, reason: "the scheme must be http or https") }
        guard let host = components.host, !host.isEmpty else { throw .invalidEndpoint(text, reason: "it has no host") }
        guard components.path.isEmpty || components.path == "/" else {
            throw .invalidEndpoint(text, reason: "it must not have a path")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw .invalidEndpoint(text, reason: "it must not have a query, fragment or user")
        }
    }

    /// S3's bucket naming rules: 3–63 characters, lower-case letters, digits, `.` and `-`, starting and ending
    /// with a letter or digit.
    private static func checkBucket(_ bucket: String) throws(S3ConfigurationError) {
        let allowed = bucket.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
        guard (3...63).contains(bucket.utf8.count), allowed,
            bucket.first.map({ $0.isLetter || $0.isNumber }) == true,
            bucket.last.map({ $0.isLetter || $0.isNumber }) == true,
            !bucket.contains("..")
        else { throw .invalidBucketName(bucket) }
    }
}
