import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's secret for signing download URLs: 32 random bytes, kept in a file readable by its owner only
/// (mode 0600), as one line of base64.
public struct DownloadSigningKey: Sendable {
    /// The key file's name in its directory.
    public static let fileName = "download-signing.key"
    /// Bytes in a generated key; the least a loaded key may have.
    public static let length = 32

    let symmetricKey: SymmetricKey

    /// A key of these bytes (at least ``length``).
    ///
    /// - Throws: ``DownloadSigningKeyError/tooShort(path:bytes:)`` with an empty path.
    public init(bytes: [UInt8]) throws(DownloadSigningKeyError) {
        guard bytes.count >= Self.length else { throw .tooShort(path: "", bytes: bytes.count) }
        symmetricKey = SymmetricKey(data: bytes)
    }

    private init(symmetricKey: SymmetricKey) {
        self.symmetricKey = symmetricKey
    }

    /// A new random key.
    public static func generate() -> DownloadSigningKey {
        DownloadSigningKey(symmetricKey: SymmetricKey(size: .bits256))
    }

    /// The key in `directory`/``fileName``, created (random, mode 0600, the directory 0700 if new) when
    /// there is none. Safe against a concurrent first start: the file is created exclusively, and the loser
    /// reads the winner's key.
    ///
    /// - Throws: ``DownloadSigningKeyError``: I/O failures, a file others can read or write, a file that is not
    ///   a key.
    public static func loadOrCreate(in directory: URL) throws(DownloadSigningKeyError) -> DownloadSigningKey {
        let path = directory.appendingPathComponent(fileName).path
        if let key = try load(path: path) { return key }
        try makeDirectory(directory.path)
        let key = generate()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST, let existing = try load(path: path) { return existing }
            throw .io(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        let line = Array((key.base64 + "\n").utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        guard written == line.count else { throw .io(operation: "write", path: path, errno: errno) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
        return key
    }

    /// The key in the file at `file`.
    ///
    /// - Throws: ``DownloadSigningKeyError``; ``DownloadSigningKeyError/io(operation:path:errno:)`` with `ENOENT`
    ///   when there is no file.
    public static func load(from file: URL) throws(DownloadSigningKeyError) -> DownloadSigningKey {
        guard let key = try load(path: file.path) else { throw .io(operation: "open", path: file.path, errno: ENOENT) }
        return key
    }

    /// The key at `path`, or `nil` when there is no file.
    private static func load(path: String) throws(DownloadSigningKeyError) -> DownloadSigningKey? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .malformed(path: path, reason: "not a regular file") }
        let permissions = status.st_mode & 0o777
        guard permissions & 0o077 == 0 else { throw .insecurePermissions(path: path, mode: UInt32(permissions)) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count >= 0 else { throw .io(operation: "read", path: path, errno: errno) }
        let text = String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: text) else { throw .malformed(path: path, reason: "not one line of base64") }
        guard data.count >= length else { throw .tooShort(path: path, bytes: data.count) }
        return DownloadSigningKey(symmetricKey: SymmetricKey(data: data))
    }

    /// `mkdir -p` with mode 0700 for what it creates.
    private static func makeDirectory(_ path: String) throws(DownloadSigningKeyError) {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            throw .io(operation: "mkdir", path: path, errno: errno)
        }
        try makeDirectory(String(path[..<slash]))
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw .io(operation: "mkdir", path: path, errno: errno) }
    }

    /// The key as base64, as in its file.
    var base64: String {
        symmetricKey.withUnsafeBytes { Data($0).base64EncodedString() }
    }
}

/// A download signing key that cannot be loaded or created.
public enum DownloadSigningKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The key file can be read or written by group or others (`mode` is its permission bits).
    case insecurePermissions(path: String, mode: UInt32)
    /// The file is not a key.
    case malformed(path: String, reason: String)
    /// The key has fewer than ``DownloadSigningKey/length`` bytes.
    case tooShort(path: String, bytes: Int)

    public var description: String {
        switch self {
        case .io(let operation, let path, let number):
            "download signing key: \(operation) '\(path)' failed: \(String(cString: strerror(number)))"
        case .insecurePermissions(let path, let mode):
            "download signing key '\(path)' has mode \(String(mode, radix: 8)); it must be readable by its owner only (chmod 600)"
        case .malformed(let path, let reason): "download signing key '\(path)' is malformed: \(reason)"
        case .tooShort(let path, let bytes):
            "download signing key \(path.isEmpty ? "" : "'\(path)' ")has \(bytes) bytes; at least \(DownloadSigningKey.length) are needed"
        }
    }
}
