import Foundation

extension S3Configuration {
    /// The environment variable holding the access key id.
    public static let accessKeyIDVariable = "AWS_ACCESS_KEY_ID"
    /// The environment variable holding the secret access key.
    public static let secretAccessKeyVariable = "AWS_SECRET_ACCESS_KEY"
    /// The environment variable holding a session token (optional).
    public static let sessionTokenVariable = "AWS_SESSION_TOKEN"

    /// Parses a storage URL such as `s3://captures/tapster/?endpoint=http://127.0.0.1:9000&region=us-east-1`.
    ///
    /// - The host is the bucket; the path, if any, is the ``keyPrefix``.
    /// - Query parameters, all optional:
    ///   - `endpoint`: the service's base URL (default AWS: `https://s3.<region>.amazonaws.com`);
    ///   - `region`: default `AWS_REGION`, then `AWS_DEFAULT_REGION` from `environment`, then `us-east-1`;
    ///   - `addressing`: `path` or `virtual-host` (default `path` with an `endpoint`, `virtual-host` without);
    ///   - `part-size`: in bytes, or with a `MiB` suffix (`16MiB`); default 8 MiB, at least 5 MiB.
    ///   Any other parameter is an error, so that a misspelling is not silently ignored.
    /// - Credentials never come from the URL: the access key id from `AWS_ACCESS_KEY_ID`, the secret from
    ///   `AWS_SECRET_ACCESS_KEY`, an optional session token from `AWS_SESSION_TOKEN`, all in `environment`.
    ///
    /// - Throws: ``S3ConfigurationError``: not an `s3://` URL, an unknown or invalid parameter, missing
    ///   credentials (naming the variables), or any check of ``init(endpoint:region:bucket:keyPrefix:accessKeyID:secretAccessKey:sessionToken:addressing:partSize:listPageSize:requestTimeout:)``.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(S3ConfigurationError)
    {
        guard let components = URLComponents(string: text) else { throw .invalidURL(text, reason: "it is not a URL") }
        guard components.scheme?.lowercased() == "s3" else { throw .invalidURL(text, reason: "the scheme must be s3") }
        guard let bucket = components.host, !bucket.isEmpty else {
            throw .invalidURL(text, reason: "it names no bucket (s3://BUCKET/prefix)")
        }
        var endpoint: URL?
        var region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        var addressing: Addressing?
        var partSize = Self.defaultPartSize
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            guard seen.insert(item.name).inserted else { throw .invalidParameter(item.name, value: value, reason: "given twice") }
            switch item.name {
            case "endpoint":
                guard let url = URL(string: value) else {
                    throw .invalidEndpoint(value, reason: "it is not a URL")
                }
                endpoint = url
            case "region":
                region = value
            case "addressing":
                guard let parsed = Addressing(rawValue: value) else {
                    throw .invalidParameter("addressing", value: value, reason: "expected path or virtual-host")
                }
                addressing = parsed
            case "part-size":
                guard let bytes = Self.parseSize(value) else {
                    throw .invalidParameter("part-size", value: value, reason: "expected bytes, or a number of MiB like 16MiB")
                }
                partSize = bytes
            default:
                throw .unknownParameter(item.name)
            }
        }
        let missing = [Self.accessKeyIDVariable, Self.secretAccessKeyVariable].filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else { throw .missingCredentials(missing) }
        try self.init(
            endpoint: endpoint, region: region, bucket: bucket, keyPrefix: components.path,
            accessKeyID: environment[Self.accessKeyIDVariable]!, secretAccessKey: environment[Self.secretAccessKeyVariable]!,
            sessionToken: environment[Self.sessionTokenVariable].flatMap { $0.isEmpty ? nil : $0 },
            addressing: addressing, partSize: partSize)
    }

    private static func parseSize(_ text: String) -> Int? {
        if text.hasSuffix("MiB"), let mebibytes = Int(text.dropLast(3)), mebibytes > 0, mebibytes <= 5 << 10 {
            return mebibytes << 20
        }
        return Int(text)
    }
}

/// An ``S3Configuration`` that cannot be used, and why.
public enum S3ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The storage URL is not `s3://bucket/prefix?…`.
    case invalidURL(String, reason: String)
    /// A query parameter the URL may not have.
    case unknownParameter(String)
    /// A query parameter with a bad value.
    case invalidParameter(String, value: String, reason: String)
    /// The endpoint is not a bare `http(s)://host[:port]` URL.
    case invalidEndpoint(String, reason: String)
    /// Not a valid S3 bucket name.
    case invalidBucketName(String)
    /// Not a valid region name.
    case invalidRegion(String)
    /// The key prefix breaks the rules of ``ObjectKey``.
    case invalidKeyPrefix(String)
    /// The part size is outside 5 MiB…5 GiB.
    case invalidPartSize(Int)
    /// The listing page size is outside 1…1000.
    case invalidListPageSize(Int)
    /// Credentials are missing: these environment variables are unset or empty (empty list: an empty key
    /// was passed directly).
    case missingCredentials([String])

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): "invalid S3 storage URL '\(url)': \(reason)"
        case .unknownParameter(let name):
            "unknown S3 storage URL parameter '\(name)' (known: endpoint, region, addressing, part-size)"
        case .invalidParameter(let name, let value, let reason): "invalid S3 storage URL parameter \(name)='\(value)': \(reason)"
        case .invalidEndpoint(let endpoint, let reason): "invalid S3 endpoint '\(endpoint)': \(reason)"
        case .invalidBucketName(let bucket): "invalid S3 bucket name '\(bucket)' (3-63 of a-z 0-9 . -)"
        case .invalidRegion(let region): "invalid S3 region '\(region)'"
        case .invalidKeyPrefix(let prefix): "invalid S3 key prefix '\(prefix)'"
        case .invalidPartSize(let size):
            "invalid S3 part size \(size): it must be between \(S3Configuration.minimumPartSize) and \(S3Configuration.maximumPartSize) bytes"
        case .invalidListPageSize(let size): "invalid S3 listing page size \(size): it must be between 1 and 1000"
        case .missingCredentials(let variables) where variables.isEmpty: "S3 credentials are empty"
        case .missingCredentials(let variables): "S3 credentials missing: set \(variables.joined(separator: " and "))"
        }
    }
}
