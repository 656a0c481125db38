import Foundation

/// A fresh directory under the system's temporary directory; `remove()` deletes it.
struct TemporaryDirectory: Sendable {
    let path: String

    init(prefix: String) throws {
        let base = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
