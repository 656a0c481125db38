import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, throwing wrappers of the system calls the filesystem store makes. They block: call them through
/// ``BlockingIO``.
enum POSIXFile {
    /// Captures hold packet payloads: readable by the server's user only.
    static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o700

    static func failure(_ operation: String, _ path: String, detail: String? = nil) -> FilesystemObjectStoreError {
        FilesystemObjectStoreError(operation: operation, path: path, errno: errno, detail: detail)
    }

    /// Creates `path` exclusively for writing.
    static func createExclusive(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw failure("open", path) }
        return fd
    }

    /// Opens `path` for reading, or `nil` when it does not exist.
    static func openForReading(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw failure("open", path)
        }
        return fd
    }

    /// Writes all of `buffer`'s readable bytes.
    static func writeAll(_ fd: Int32, _ buffer: ByteBuffer, path: String) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", path)
                }
                offset += written
            }
        }
    }

    /// Reads up to `count` bytes at `offset`; an empty buffer at the end of the file.
    static func read(_ fd: Int32, at offset: Int64, count: Int, path: String) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while true {
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
                pread(fd, bytes.baseAddress!, count, off_t(offset))
            }
            if got >= 0 { return buffer }
            if errno != EINTR { throw failure("read", path) }
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    /// Makes a rename in `directory` durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", directory) }
        defer { close(fd) }
        try sync(fd, path: directory)
    }

    static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw failure("rename", from, detail: "to '\(to)'") }
    }

    /// Removes `path`; whether it existed.
    @discardableResult
    static func remove(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw failure("unlink", path)
    }

    /// Size and modification time of `path` if it is a regular file; `nil` if nothing is there.
    static func regularFileStatus(_ path: String) throws -> (size: Int64, modified: Date)? {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw failure("stat", path)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (Int64(status.st_size), modificationDate(status))
    }

    /// Size and modification time of an open file.
    static func status(of fd: Int32, path: String) throws -> (size: Int64, modified: Date) {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure("fstat", path) }
        return (Int64(status.st_size), modificationDate(status))
    }

    private static func modificationDate(_ status: stat) -> Date {
        #if canImport(Darwin)
        let time = status.st_mtimespec
        #else
        let time = status.st_mtim
        #endif
        return Date(timeIntervalSince1970: TimeInterval(time.tv_sec) + TimeInterval(time.tv_nsec) / 1e9)
    }

    /// Whether `path` is a directory (not following a final symbolic link).
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `components` below `root` one by one (mode 0700).
    ///
    /// - Throws: ``ObjectStoreError/keyConflict(key:)`` when one of them exists and is not a directory.
    static func makeDirectories(root: String, components: [Substring], key: String) throws {
        var path = root
        for component in components {
            path += "/" + component
            if mkdir(path, directoryMode) == 0 { continue }
            if errno == EEXIST {
                guard isDirectory(path) else { throw ObjectStoreError.keyConflict(key: key) }
                continue
            }
            if errno == ENOTDIR { throw ObjectStoreError.keyConflict(key: key) }
            throw failure("mkdir", path)
        }
    }

    /// The names in `directory`, or `[]` when it does not exist.
    static func entries(of directory: String) throws -> [String] {
        guard let stream = opendir(directory) else {
            if errno == ENOENT || errno == ENOTDIR { return [] }
            throw failure("opendir", directory)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// An open file descriptor, closed when the last reference goes.
final class OpenFile: Sendable {
    let fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }
}
