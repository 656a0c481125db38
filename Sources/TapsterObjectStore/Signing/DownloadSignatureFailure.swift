import Foundation

/// Why a download URL's signature is refused, precisely. Checks run in this order: the query is read
/// (``malformed(_:)``), the signature checked (``badSignature``), then the expiry (``expired(at:)``) — so a
/// forged expiry is a bad signature, and only a URL we really issued can be reported as expired.
public enum DownloadSignatureFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The query does not have the shape of a signed URL.
    case malformed(Malformation)
    /// The signature is not ours for this capture and expiry (tampered, or for another capture).
    case badSignature
    /// The URL was ours, and stopped being valid at this time.
    case expired(at: Date)

    /// What is wrong with a malformed signed URL.
    public enum Malformation: Sendable, Hashable {
        /// No `reader` parameter.
        case missingReader
        /// No `expires` parameter.
        case missingExpires
        /// No `signature` parameter.
        case missingSignature
        /// A parameter given more than once.
        case repeatedParameter(String)
        /// `expires` is not a whole number of seconds since 1970.
        case invalidExpires(String)
        /// `signature` is not canonical base64url of a 32-byte HMAC-SHA256.
        case invalidSignatureEncoding
        /// The raw query has a broken percent-escape.
        case invalidQuery
    }

    public var description: String {
        switch self {
        case .malformed(let malformation):
            let why = switch malformation {
            case .missingReader: "the 'reader' parameter is missing"
            case .missingExpires: "the 'expires' parameter is missing"
            case .missingSignature: "the 'signature' parameter is missing"
            case .repeatedParameter(let name): "the '\(name)' parameter is repeated"
            case .invalidExpires(let value): "'expires=\(value.prefix(40))' is not a Unix time"
            case .invalidSignatureEncoding: "the signature is not base64url of 32 bytes"
            case .invalidQuery: "the query has a broken percent-escape"
            }
            return "malformed download link: \(why)"
        case .badSignature:
            return "download link signature is not valid for this capture"
        case .expired(let date):
            return "download link expired at \(date.formatted(.iso8601))"
        }
    }
}
