import Crypto
import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for header-authenticated requests: a pure function of the
/// request, the credentials and the time.
///
/// The caller supplies the path already encoded (``AWSURIEncoding/path(_:)``, as it will be sent), the query
/// unencoded, every header to sign (including `host`), and the hex SHA-256 of the payload; ``sign(_:at:)``
/// returns the headers to add: `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session
/// token) and `authorization`.
public struct SigV4Signer: Sendable {
    /// AWS access key id.
    public var accessKeyID: String
    /// AWS secret access key.
    public var secretAccessKey: String
    /// Temporary credentials' session token, sent as `x-amz-security-token`.
    public var sessionToken: String?
    /// The region, e.g. `us-east-1`.
    public var region: String
    /// The service, e.g. `s3` or `iam`.
    public var service: String

    /// A signer for `service` in `region` with these credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String, service: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// The hex SHA-256 of the empty payload.
    public static let emptyPayloadHash = Hex.encode(SHA256.hash(data: [UInt8]()))

    /// The hex SHA-256 of `bytes`.
    public static func payloadHash(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { Hex.encode(SHA256.hash(data: $0)) }
    }

    /// One request to sign.
    public struct Request: Sendable {
        /// `GET`, `PUT`…
        public var method: String
        /// The path as sent, already percent-encoded, e.g. `/bucket/my%20key`.
        public var encodedPath: String
        /// Query parameters, not encoded (`("uploads", "")` for `?uploads`).
        public var query: [(name: String, value: String)]
        /// Headers to sign, including `host`; names in any case.
        public var headers: [(name: String, value: String)]
        /// The hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
        public var payloadHash: String

        /// A request to sign.
        public init(
            method: String, encodedPath: String, query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)], payloadHash: String
        ) {
            self.method = method
            self.encodedPath = encodedPath
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The headers that authenticate `request` at `date`, in the order to send them.
    public func sign(_ request: Request, at date: Date) -> [(name: String, value: String)] {
        let timestamp = Self.timestamp(date)
        var added: [(name: String, value: String)] = [
            ("x-amz-date", timestamp.dateTime), ("x-amz-content-sha256", request.payloadHash),
        ]
        if let sessionToken { added.append(("x-amz-security-token", sessionToken)) }
        var signing = request
        signing.headers += added
        let canonical = Self.canonicalRequest(signing)
        let scope = "\(timestamp.date)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(timestamp.dateTime)\n\(scope)\n" + Hex.encode(SHA256.hash(data: Data(canonical.request.utf8)))
        let signature = Hex.encode(signingKey(date: timestamp.date).authenticate(toSign))
        added.append((
            "authorization",
            "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        ))
        return added
    }

    /// The canonical request and the `SignedHeaders` list of `request` (which must already carry every
    /// header to sign).
    static func canonicalRequest(_ request: Request) -> (request: String, signedHeaders: String) {
        let encoded: [(name: String, value: String)] = request.query.map {
            (AWSURIEncoding.query($0.name), AWSURIEncoding.query($0.value))
        }
        let sorted = encoded.sorted { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        let query = sorted.map { pair -> String in pair.name + "=" + pair.value }.joined(separator: "&")
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let name = name.lowercased()
            let value = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            headers[name] = headers[name].map { $0 + "," + value } ?? value
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!)\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let path = request.encodedPath.isEmpty ? "/" : request.encodedPath
        return ([request.method, path, query, canonicalHeaders, signedHeaders, request.payloadHash].joined(separator: "\n"), signedHeaders)
    }

    private func signingKey(date: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secretAccessKey)".utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: key.authenticate(part))
        }
        return key
    }

    /// `yyyyMMdd` and `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> (date: String, dateTime: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        let day = "\(parts.year!)" + two(parts.month) + two(parts.day)
        return (day, day + "T" + two(parts.hour) + two(parts.minute) + two(parts.second) + "Z")
    }
}

extension SymmetricKey {
    fileprivate func authenticate(_ message: String) -> HMAC<SHA256>.MAC {
        HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: self)
    }
}
