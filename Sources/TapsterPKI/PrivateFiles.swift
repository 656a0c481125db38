import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Files only their owner may read (mode 0600) in directories only their owner may enter (0700):
/// private keys and the certificates beside them.
enum PrivateFiles {
    /// Creates `directory` (mode 0700) and its parents if missing.
    static func ensureDirectory(_ directory: URL) throws(PKIError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .cannotCreateDirectory(path: directory.path, reason: "a file of that name exists")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .cannotCreateDirectory(path: directory.path, reason: "\(error)")
        }
    }

    /// Whether a file exists at `url`.
    static func exists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    /// The text of the file at `url`, nil if there is none.
    static func read(_ url: URL) throws(PKIError) -> String? {
        guard exists(url) else { return nil }
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .cannotRead(path: url.path, reason: "\(error)")
        }
    }

    /// Writes `text` to `url` with mode 0600, atomically: a reader sees the old content or the new, never a mix,
    /// and the content is never readable by others, not even for a moment.
    static func write(_ text: String, to url: URL) throws(PKIError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotWrite(path: url.path, reason: lastErrorText()) }
        var failure: String?
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count && failure == nil {
            let result = bytes.withUnsafeBytes { buffer in
                posixWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno != EINTR { failure = lastErrorText() }
            } else {
                written += result
            }
        }
        if failure == nil, fchmod(descriptor, 0o600) != 0 { failure = lastErrorText() }
        if failure == nil, fsync(descriptor) != 0 { failure = lastErrorText() }
        close(descriptor)
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = lastErrorText() }
        if let failure {
            unlink(temporary.path)
            throw .cannotWrite(path: url.path, reason: failure)
        }
    }

    /// Removes the file at `url`; nothing happens if there is none.
    static func remove(_ url: URL) throws(PKIError) {
        guard unlink(url.path) == 0 || errno == ENOENT else {
            throw .cannotRemove(path: url.path, reason: lastErrorText())
        }
    }

    private static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}

/// `write(2)`, named apart from `PrivateFiles.write(_:to:)`.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
