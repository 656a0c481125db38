import Crypto
import Foundation

/// Signs and checks capture download URLs with HMAC-SHA256 under the server's ``DownloadSigningKey``.
/// A pure value: the time is an argument.
///
/// The MAC covers a version label, the capture id and the reader — the user the link was made for — (each
/// length-prefixed, so no two triples share a message) and the expiry, so a URL grants nothing for another
/// capture or after it expires, and changing any of them breaks the signature. The server checks at download
/// that the reader still may read the capture's packets, so revoking them ends the link too. Verification
/// compares in constant time.
public struct DownloadSigner: Sendable {
    /// How long a URL is valid unless told otherwise: 15 minutes.
    public static let defaultLifetime: Duration = .seconds(15 * 60)
    /// Bytes in a signature (HMAC-SHA256).
    public static let signatureLength = 32
    /// Bound into every MAC, so that a signature for something else made with the same key never passes.
    static let label = "tapster-capture-download-v2"

    /// How long the URLs ``sign(captureID:now:)`` makes are valid.
    public let lifetime: Duration
    private let key: DownloadSigningKey

    /// A signer with `key` whose URLs are valid for `lifetime` (at least a second).
    public init(key: DownloadSigningKey, lifetime: Duration = defaultLifetime) {
        self.key = key
        self.lifetime = max(lifetime, .seconds(1))
    }

    /// A URL for `captureID`, made for user `reader` (an id), valid from `now` for ``lifetime`` (rounded up
    /// to the second).
    public func sign(captureID: String, reader: String, now: Date = Date()) -> SignedURL {
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        return sign(captureID: captureID, reader: reader, expiresAt: now.addingTimeInterval(seconds))
    }

    /// A URL for `captureID`, made for user `reader`, valid until `expiresAt` (rounded up to the second).
    public func sign(captureID: String, reader: String, expiresAt: Date) -> SignedURL {
        let expires = Int64(expiresAt.timeIntervalSince1970.rounded(.up))
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(captureID: captureID, reader: reader, expires: expires), using: key.symmetricKey)
        return SignedURL(captureID: captureID, reader: reader, expires: expires, signature: Base64URL.encode(mac))
    }

    /// Checks `signed` at `now`; returns its expiry when it is valid.
    ///
    /// - Throws: ``DownloadSignatureFailure/badSignature`` when the signature is not ours for this capture
    ///   and expiry; ``DownloadSignatureFailure/expired(at:)`` when it is, but `now` is at or past the expiry;
    ///   ``DownloadSignatureFailure/malformed(_:)`` for a signature that is not 32 bytes of base64url.
    @discardableResult
    public func verify(_ signed: SignedURL, now: Date = Date()) throws(DownloadSignatureFailure) -> Date {
        guard let provided = Base64URL.decode(signed.signature), provided.count == Self.signatureLength else {
            throw .malformed(.invalidSignatureEncoding)
        }
        let message = Self.message(captureID: signed.captureID, reader: signed.reader, expires: signed.expires)
        guard HMAC<SHA256>.isValidAuthenticationCode(provided, authenticating: message, using: key.symmetricKey) else {
            throw .badSignature
        }
        guard now < signed.expiresAt else { throw .expired(at: signed.expiresAt) }
        return signed.expiresAt
    }

    /// Reads the signature of a download request for `captureID` from its query items and checks it;
    /// returns it (its ``SignedURL/reader`` is whom the server must still allow to read the packets).
    ///
    /// - Throws: ``DownloadSignatureFailure``: malformed, bad signature, or expired.
    @discardableResult
    public func verify(captureID: String, queryItems: [URLQueryItem], now: Date = Date()) throws(DownloadSignatureFailure) -> SignedURL {
        let signed = try SignedURL(captureID: captureID, queryItems: queryItems)
        try verify(signed, now: now)
        return signed
    }

    static func message(captureID: String, reader: String, expires: Int64) -> Data {
        Data("\(label)\n\(captureID.utf8.count):\(captureID)\n\(reader.utf8.count):\(reader)\n\(expires)".utf8)
    }
}
