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

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// Runs `body` with a fresh directory, removed when `body` returns or throws.
    public static func with<T>(label: String, _ body: (URL) throws -> T) throws -> T {
        let directory = try ScratchDirectory(label: label)
        defer { directory.remove() }
        return try body(directory.url)
    }
}
