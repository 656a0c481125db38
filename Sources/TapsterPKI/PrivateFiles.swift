#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Files only their owner may read (mode 0600) in directories only their owner may enter (0700):
/// private keys and the certificates beside them, and the server's whole data directory — the one
/// implementation of private files and directories, which the server uses too.
public enum PrivateFiles {
    /// Creates `directory` (mode 0700) and its parents if missing; an existing one is left as it is.
    static func ensureDirectory(_ directory: URL) throws(PKIError) {
        try createDirectoryIfMissing(directory.path)
    }

    /// Creates the directory at `path` (mode 0700) and its parents if missing, and tightens an existing
    /// one — made by hand or by an older version with looser permissions — to 0700 and each entry directly
    /// in it to 0700 (a directory) or 0600 (a file); a symbolic link is left alone, since chmod would
    /// change what it points to.
    public static func secureDirectory(_ path: String) throws(PKIError) {
        try createDirectoryIfMissing(path)
        try restrict(path, mode: 0o700)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for entry in entries {
            let full = path.isEmpty ? entry : path.hasSuffix("/") ? path + entry : path + "/" + entry
            // The entry itself, not what a link points to (attributesOfItem does not follow links).
            let type = (try? FileManager.default.attributesOfItem(atPath: full))?[.type] as? FileAttributeType
            switch type {
            case .typeDirectory?: try restrict(full, mode: 0o700)
            case .typeRegular?: try restrict(full, mode: 0o600)
            default: continue
            }
        }
    }

    /// Creates the directory at `path` with mode 0700 unless it exists; refuses a file of that name.
    private static func createDirectoryIfMissing(_ path: String) throws(PKIError) {
        #if canImport(FoundationEssentials)
        var isDirectory = false
        #else
        var isDirectory: ObjCBool = false
        #endif
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard Bool(isDirectory) else {
                throw .cannotCreateDirectory(path: path, reason: "a file of that name exists")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .cannotCreateDirectory(path: path, reason: "\(error)")
        }
    }

    private static func restrict(_ path: String, mode: mode_t) throws(PKIError) {
        guard chmod(path, mode) == 0 else {
            throw .cannotRestrict(path: path, mode: String(mode, radix: 8), reason: lastErrorText())
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
