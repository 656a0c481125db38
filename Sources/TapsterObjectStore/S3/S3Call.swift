import Foundation
import NIOCore
import NIOHTTP1

/// One S3 request before signing: the operation (for errors and logs), the method, the object (or the
/// bucket itself), query parameters, headers to sign, and a body.
struct S3Call: Sendable {
    /// The S3 operation name, e.g. `PutObject`.
    var operation: String
    var method: HTTPMethod
    /// The full object name in the bucket (``S3Configuration/keyPrefix`` included), or `nil` for the bucket.
    var objectName: String?
    /// What errors name: the caller's key, or the bucket.
    var resource: String
    var query: [(name: String, value: String)] = []
    var headers: [(name: String, value: String)] = []
    var body: ByteBuffer?
}

/// Where a call goes: host (as sent in `Host`), path (encoded) and the full URL.
struct S3Target: Sendable, Equatable {
    var host: String
    var encodedPath: String
    var url: String

    /// The target of a request for `objectName` (or the bucket) with `query` under `configuration`.
    init(configuration: S3Configuration, objectName: String?, query: [(name: String, value: String)]) {
        let endpoint = configuration.endpoint
        let scheme = endpoint.scheme!.lowercased()
        var host = endpoint.host!
        if host.contains(":") { host = "[\(host)]" }  // IPv6 literal
        if configuration.addressing == .virtualHost { host = configuration.bucket + "." + host }
        if let port = endpoint.port { host += ":\(port)" }
        let key = objectName.map(AWSURIEncoding.path) ?? ""
        switch configuration.addressing {
        case .path: encodedPath = "/" + configuration.bucket + (objectName == nil ? "" : "/" + key)
        case .virtualHost: encodedPath = "/" + key
        }
        self.host = host
        var url = scheme + "://" + host + encodedPath
        if !query.isEmpty {
            url += "?" + query.map { AWSURIEncoding.query($0.name) + "=" + AWSURIEncoding.query($0.value) }.joined(separator: "&")
        }
        self.url = url
    }
}
