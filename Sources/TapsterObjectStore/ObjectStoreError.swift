/// Failures every ``ObjectStore`` reports the same way, whatever the backend. Backend failures have their
/// own types: ``FilesystemObjectStoreError``, ``S3ServiceError``, ``S3ClientError``.
public enum ObjectStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key breaks the rules of ``ObjectKey``.
    case invalidKey(InvalidObjectKey)
    /// The tags break the rules of ``ObjectTags``.
    case invalidTags(InvalidObjectTags)
    /// There is no object at `key`.
    case notFound(key: String)
    /// On the filesystem, `key` cannot be stored because a path it needs is taken: `captures/a` is an object
    /// and `captures/a/b` is asked for, or the reverse.
    case keyConflict(key: String)
    /// A stream read whole held more than `limit` bytes.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .invalidKey(let invalid): invalid.description
        case .invalidTags(let invalid): invalid.description
        case .notFound(let key): "no object at key '\(key)'"
        case .keyConflict(let key): "key '\(key)' conflicts with another object's path (one is a prefix directory of the other)"
        case .tooLarge(let limit): "object larger than the \(limit) bytes allowed here"
        }
    }
}
