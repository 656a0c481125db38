import Foundation

/// A fresh directory under the system's temporary directory; `remove()` deletes it.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String) throws {
        let base = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
