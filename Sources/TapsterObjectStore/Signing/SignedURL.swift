import Foundation

/// The signature part of a capture's download URL: `reader=<user id>&expires=<unix seconds>&signature=<base64url>`,
/// for one capture. The URL alone grants the download until it expires, only for that capture, and only while
/// its reader may still read the capture's packets (the server checks).
///
/// Made by ``DownloadSigner/sign(captureID:now:)``; read back from a request's query with
/// ``init(captureID:queryItems:)`` and checked with ``DownloadSigner/verify(_:now:)``.
public struct SignedURL: Sendable, Hashable {
    /// The query parameter holding the reader (the id of the user the link was made for).
    public static let readerParameter = "reader"
    /// The query parameter holding the expiry.
    public static let expiresParameter = "expires"
    /// The query parameter holding the signature.
    public static let signatureParameter = "signature"

    /// The capture the URL is for (not in the query: it is the URL's path, e.g. `/api/v1/captures/<id>/download`).
    public let captureID: String
    /// The id of the user the link was made for.
    public let reader: String
    /// Expiry, in whole seconds since 1970 (UTC).
    public let expires: Int64
    /// Base64url (no padding) of the HMAC-SHA256.
    public let signature: String

    init(captureID: String, reader: String, expires: Int64, signature: String) {
        self.captureID = captureID
        self.reader = reader
        self.expires = expires
        self.signature = signature
    }

    /// When the URL stops being valid.
    public var expiresAt: Date { Date(timeIntervalSince1970: TimeInterval(expires)) }

    /// `reader`, `expires` and `signature`, to append to the download URL.
    public var queryItems: [URLQueryItem] {
        [URLQueryItem(name: Self.readerParameter, value: reader), URLQueryItem(name: Self.expiresParameter, value: String(expires)),
         URLQueryItem(name: Self.signatureParameter, value: signature)]
    }

    /// `reader=…&expires=…&signature=…`, percent-encoded.
    public var query: String {
        let reader = reader.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? ""
        return "\(Self.readerParameter)=\(reader)&\(Self.expiresParameter)=\(expires)&\(Self.signatureParameter)=\(signature)"
    }

    /// `base` with the signature's query items added to any it has.
    public func url(base: URL) -> URL {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: true) else { return base }
        components.queryItems = (components.queryItems ?? []) + queryItems
        return components.url ?? base
    }

    /// RFC 3986's unreserved characters: all a query value may hold unescaped.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Reads the signature of a download request for `captureID` from its query items; other items are
    /// ignored.
    ///
    /// - Throws: ``DownloadSignatureFailure/malformed(_:)`` when `expires` or `signature` is missing, repeated,
    ///   or not well-formed. The signature itself is checked by ``DownloadSigner/verify(_:now:)``.
    public init(captureID: String, queryItems: [URLQueryItem]) throws(DownloadSignatureFailure) {
        func single(_ name: String, missing: DownloadSignatureFailure.Malformation) throws(DownloadSignatureFailure) -> String {
            let values = queryItems.filter { $0.name == name }
            guard values.count <= 1 else { throw .malformed(.repeatedParameter(name)) }
            guard let value = values.first?.value else { throw .malformed(missing) }
            return value
        }
        let reader = try single(Self.readerParameter, missing: .missingReader)
        let expiresText = try single(Self.expiresParameter, missing: .missingExpires)
        let signature = try single(Self.signatureParameter, missing: .missingSignature)
        guard !expiresText.isEmpty, expiresText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let expires = Int64(expiresText)
        else { throw .malformed(.invalidExpires(expiresText)) }
        guard let bytes = Base64URL.decode(signature), bytes.count == DownloadSigner.signatureLength else {
            throw .malformed(.invalidSignatureEncoding)
        }
        self.init(captureID: captureID, reader: reader, expires: expires, signature: signature)
    }

    /// Reads the signature from a raw (percent-encoded) query string such as `reader=…&expires=…&signature=…`.
    /// Any string is accepted as input: a broken percent-escape is a malformed query, not a crash (as
    /// `URLComponents.percentEncodedQuery` would be).
    ///
    /// - Throws: ``DownloadSignatureFailure/malformed(_:)``, as ``init(captureID:queryItems:)``, or
    ///   ``DownloadSignatureFailure/Malformation/invalidQuery`` for a broken percent-escape.
    public init(captureID: String, query: String) throws(DownloadSignatureFailure) {
        var items: [URLQueryItem] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts[0].removingPercentEncoding,
                let value = parts.count > 1 ? parts[1].removingPercentEncoding : ""
            else { throw .malformed(.invalidQuery) }
            items.append(URLQueryItem(name: name, value: value))
        }
        try self.init(captureID: captureID, queryItems: items)
    }
}
