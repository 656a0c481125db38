import NIOCore

/// Where stored captures (merged pcapng files) are kept: a local directory (``FilesystemObjectStore``)
/// or an S3-compatible service (``S3ObjectStore``).
///
/// Keys are `/`-separated paths such as `captures/acme/7f3c….pcapng`; every backend accepts the same keys
/// (see ``ObjectKey``) and the same tags (see ``ObjectTags``), so a key or tag rejected by one is rejected by
/// all. Objects are written whole or not at all: a reader never sees a partial upload.
///
/// What each result carries:
/// - ``upload(key:tags:contentType:body:)`` and ``head(key:)`` return a ``StoredObject`` with its tags.
/// - ``list(prefix:)`` and ``download(key:)`` stay cheap and leave ``StoredObject/tags`` `nil`
///   (on S3 tags cost one `GetObjectTagging` request per object); ask ``tags(key:)`` for the tags of one
///   object, or ``listWithTags(prefix:)`` for all of them.
public protocol ObjectStore: Sendable {
    /// Stores `body` under `key`, replacing any object already there, and returns what was stored.
    ///
    /// The body is streamed: at most a bounded buffer (one S3 part, or a write buffer on disk) is held in
    /// memory, never the whole capture. If `body` throws, or the task is cancelled, nothing is stored.
    ///
    /// - Throws: ``ObjectStoreError/invalidKey(_:)`` or ``ObjectStoreError/invalidTags(_:)`` before reading
    ///   the body; the error `body` threw; or the backend's own error.
    func upload(
        key: String, tags: [String: String], contentType: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable
    ) async throws -> StoredObject

    /// Opens the object at `key` for reading: its size and a stream of its bytes.
    ///
    /// - Throws: ``ObjectStoreError/notFound(key:)`` when there is no object at `key`.
    func download(key: String) async throws -> ObjectDownload

    /// The object at `key` with its tags, or `nil` when there is none.
    func head(key: String) async throws -> StoredObject?

    /// The tags of the object at `key`.
    ///
    /// - Throws: ``ObjectStoreError/notFound(key:)`` when there is no object at `key`.
    func tags(key: String) async throws -> [String: String]

    /// Every object whose key starts with `prefix` (a plain string prefix, as in S3: `captures/ac` matches
    /// `captures/acme/…`), sorted by key (byte order of the UTF-8), with ``StoredObject/tags`` `nil`.
    /// An empty prefix lists everything.
    func list(prefix: String) async throws -> [StoredObject]

    /// Removes the object at `key`. Removing a key that holds no object succeeds (as S3's `DeleteObject` does),
    /// so a retention sweeper may retry freely.
    func delete(key: String) async throws
}

extension ObjectStore {
    /// ``list(prefix:)`` with each object's tags filled in by ``tags(key:)`` — one extra request per object on
    /// S3. An object deleted between the listing and its tag lookup is left out.
    public func listWithTags(prefix: String) async throws -> [StoredObject] {
        var tagged: [StoredObject] = []
        for var object in try await list(prefix: prefix) {
            do {
                object.tags = try await tags(key: object.key)
            } catch ObjectStoreError.notFound {
                continue
            }
            tagged.append(object)
        }
        return tagged
    }
}
