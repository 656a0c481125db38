#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call of ``FilesystemObjectStore`` failed: which, on what path, and `errno`.
public struct FilesystemObjectStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call or step, e.g. `open`, `rename`, `fsync`, `decode sidecar`.
    public var operation: String
    /// The path it was applied to.
    public var path: String
    /// `errno` after the call (0 when the failure is not a system call's).
    public var errno: Int32
    /// More detail, when `errno` does not say it all.
    public var detail: String?

    /// A failure of `operation` on `path`.
    public init(operation: String, path: String, errno: Int32, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation) '\(path)' failed"
        if errno != 0 { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        if let detail { text += ": \(detail)" }
        return text
    }
}
