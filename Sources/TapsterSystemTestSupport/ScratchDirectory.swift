import Foundation

/// A fresh directory under the system's temporary directory, for one test's files; ``remove()`` deletes it.
public struct ScratchDirectory: Sendable {
    public let url: URL
    /// The directory's path.
    public var path: String { url.path }

    /// Creates `tapster-agent-<label>-<uuid>`.
    public init(label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-agent-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
