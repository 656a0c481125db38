import Foundation

/// What an ``ObjectStore`` knows of one stored object.
public struct StoredObject: Sendable, Hashable {
    /// The object's key, as given to ``ObjectStore/upload(key:tags:contentType:body:)``.
    public var key: String
    /// Its size in bytes.
    public var size: Int64
    /// When it was last written (the file's modification time, or S3's `Last-Modified`), to the second on S3.
    public var lastModified: Date
    /// Its tags (owner, tenant, tap…), or `nil` when this result does not carry them (``ObjectStore/list(prefix:)``
    /// and ``ObjectStore/download(key:)`` leave them out; see ``ObjectStore/tags(key:)``).
    public var tags: [String: String]?
    /// Its media type, when known (`nil` in listings).
    public var contentType: String?
    /// An opaque version tag without quotes: S3's ETag (an MD5 in hex, or `<md5>-<part count>` after a
    /// multipart upload), or on the filesystem the SHA-256 of the content in hex.
    public var etag: String?

    /// An object description; `tags`, `contentType` and `etag` default to unknown.
    public init(
        key: String, size: Int64, lastModified: Date,
        tags: [String: String]? = nil, contentType: String? = nil, etag: String? = nil
    ) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.tags = tags
        self.contentType = contentType
        self.etag = etag
    }
}
