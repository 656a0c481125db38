import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ``ObjectStore`` in a local directory — by default under the server's data directory.
///
/// Layout: the object `captures/acme/c1.pcapng` is the file `<root>/captures/acme/c1.pcapng`; its tags,
/// media type and SHA-256 are in the sidecar `<root>/captures/acme/.c1.pcapng.meta.json`. Names starting with
/// `.` are the store's own (keys may not have such components, see ``ObjectKey``). Files are mode 0600 and
/// directories 0700: captures hold packet payloads.
///
/// Writes are atomic: the body goes to a hidden temporary file, which is `fsync`ed and renamed into place
/// after the sidecar, so a reader sees the old object or the new one, never part of one. A crash mid-upload
/// leaves at most a hidden temporary file. Concurrent uploads to the same key: the last rename wins.
/// All disk I/O runs on a Dispatch queue, never on Swift's cooperative thread pool.
public struct FilesystemObjectStore: ObjectStore {
    /// The directory holding the objects; created (with its parents) at the first upload.
    public let root: URL
    /// How many bytes are gathered before one `write(2)`.
    public static let writeBufferSize = 1 << 20

    private var rootPath: String { root.standardizedFileURL.path }

    /// A store keeping its objects under `root`.
    public init(root: URL) {
        self.root = root
    }

    public func upload(
        key: String, tags: [String: String], contentType: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable
    ) async throws -> StoredObject {
        try ObjectKey.validate(key)
        try ObjectTags.validate(tags)
        let paths = FilesystemPaths(root: rootPath, key: key)
        let temporary = paths.temporary("upload")
        let file = try await BlockingIO.run { [rootPath] in
            try Self.createTemporary(temporary, paths: paths, root: rootPath, key: key)
        }
        do {
            var hasher = SHA256Stream()
            var size: Int64 = 0
            var pending = ByteBufferAllocator().buffer(capacity: Self.writeBufferSize)
            for try await chunk in body {
                hasher.update(chunk)
                size += Int64(chunk.readableBytes)
                pending.writeImmutableBuffer(chunk)
                if pending.readableBytes >= Self.writeBufferSize {
                    try Task.checkCancellation()
                    let full = pending
                    pending = ByteBufferAllocator().buffer(capacity: Self.writeBufferSize)
                    try await BlockingIO.run { try POSIXFile.writeAll(file.fd, full, path: temporary) }
                }
            }
            try Task.checkCancellation()
            let sidecar = FilesystemSidecar(
                key: key, contentType: contentType, tags: tags, size: size, sha256: hasher.finalizeHex(),
                uploadedAt: Date())
            let last = pending
            let modified = try await BlockingIO.run {
                try POSIXFile.writeAll(file.fd, last, path: temporary)
                try POSIXFile.sync(file.fd, path: temporary)
                return try Self.commit(temporary: temporary, sidecar: sidecar, paths: paths)
            }
            return StoredObject(
                key: key, size: size, lastModified: modified, tags: tags, contentType: contentType,
                etag: sidecar.sha256)
        } catch {
            _ = try? await BlockingIO.run { try POSIXFile.remove(temporary) }
            throw error
        }
    }

    /// Bytes free for unprivileged writers on the filesystem holding ``root`` (its nearest existing
    /// ancestor before the first upload), from `statvfs(3)`; nil when it cannot be asked.
    public func availableBytes() async -> Int64? {
        let rootPath = self.rootPath
        return try? await BlockingIO.run { () throws -> Int64? in
            var path = rootPath
            while !FileManager.default.fileExists(atPath: path), path != "/" {
                path = (path as NSString).deletingLastPathComponent
            }
            var status = statvfs()
            guard statvfs(path, &status) == 0 else { return nil }
            let (bytes, overflow) = Int64(status.f_bavail).multipliedReportingOverflow(by: Int64(status.f_frsize))
            return overflow ? .max : bytes
        }
    }

    public func download(key: String) async throws -> ObjectDownload {
        try ObjectKey.validate(key)
        let paths = FilesystemPaths(root: rootPath, key: key)
        let (file, object) = try await BlockingIO.run { () throws -> (OpenFile, StoredObject) in
            guard let fd = try POSIXFile.openForReading(paths.data) else { throw ObjectStoreError.notFound(key: key) }
            let file = OpenFile(fd: fd, path: paths.data)
            let status = try POSIXFile.status(of: fd, path: paths.data)
            let sidecar = try FilesystemSidecar.read(paths.sidecar)
            let object = StoredObject(
                key: key, size: status.size, lastModified: status.modified, tags: nil,
                contentType: sidecar?.contentType, etag: sidecar?.sha256)
            return (file, object)
        }
        return ObjectDownload(object: object, body: ObjectByteStream(FileChunks(file: file)))
    }

    public func head(key: String) async throws -> StoredObject? {
        try ObjectKey.validate(key)
        let paths = FilesystemPaths(root: rootPath, key: key)
        return try await BlockingIO.run { () throws -> StoredObject? in
            guard let status = try POSIXFile.regularFileStatus(paths.data) else { return nil }
            let sidecar = try FilesystemSidecar.read(paths.sidecar)
            return StoredObject(
                key: key, size: status.size, lastModified: status.modified, tags: sidecar?.tags ?? [:],
                contentType: sidecar?.contentType, etag: sidecar?.sha256)
        }
    }

    public func tags(key: String) async throws -> [String: String] {
        guard let object = try await head(key: key) else { throw ObjectStoreError.notFound(key: key) }
        return object.tags ?? [:]
    }

    public func list(prefix: String) async throws -> [StoredObject] {
        try ObjectKey.validatePrefix(prefix)
        let start = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        let rootPath = self.rootPath
        return try await BlockingIO.run {
            var found: [StoredObject] = []
            try Self.walk(root: rootPath, relative: start, prefix: prefix, into: &found)
            return found.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        }
    }

    public func delete(key: String) async throws {
        try ObjectKey.validate(key)
        let paths = FilesystemPaths(root: rootPath, key: key)
        let rootPath = self.rootPath
        try await BlockingIO.run {
            // The data file first: once it is gone the object is gone, even if removing the sidecar fails.
            try POSIXFile.remove(paths.data)
            try POSIXFile.remove(paths.sidecar)
            Self.removeEmptyDirectories(from: paths.directory, root: rootPath)
        }
    }

    // MARK: - Steps

    /// Creates the object's directories and its temporary file. A concurrent ``delete(key:)`` may remove an
    /// emptied directory between the two, so that is retried.
    private static func createTemporary(_ temporary: String, paths: FilesystemPaths, root: String, key: String) throws -> OpenFile {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try FileManager.default.createDirectory(
                    atPath: root, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: Int(POSIXFile.directoryMode)])
            } catch {
                throw FilesystemObjectStoreError(operation: "create root directory", path: root, errno: 0, detail: "\(error)")
            }
            try POSIXFile.makeDirectories(root: root, components: paths.directoryComponents, key: key)
            do {
                return OpenFile(fd: try POSIXFile.createExclusive(temporary), path: temporary)
            } catch let error as FilesystemObjectStoreError where error.errno == ENOENT && attempt < 5 {
                continue
            }
        }
    }

    /// Writes the sidecar (temporary file, `fsync`, rename), then renames the data into place and syncs the
    /// directory. Returns the data file's modification time.
    private static func commit(temporary: String, sidecar: FilesystemSidecar, paths: FilesystemPaths) throws -> Date {
        let sidecarTemporary = paths.temporary("meta")
        do {
            let encoded = try FilesystemSidecar.encode(sidecar)
            let file = OpenFile(fd: try POSIXFile.createExclusive(sidecarTemporary), path: sidecarTemporary)
            var buffer = ByteBufferAllocator().buffer(capacity: encoded.count)
            buffer.writeBytes(encoded)
            try POSIXFile.writeAll(file.fd, buffer, path: sidecarTemporary)
            try POSIXFile.sync(file.fd, path: sidecarTemporary)
            try POSIXFile.move(sidecarTemporary, to: paths.sidecar)
        } catch {
            _ = try? POSIXFile.remove(sidecarTemporary)
            throw error
        }
        do {
            try POSIXFile.move(temporary, to: paths.data)
        } catch let error as FilesystemObjectStoreError where error.errno == EISDIR || error.errno == ENOTEMPTY || error.errno == EEXIST {
            throw ObjectStoreError.keyConflict(key: sidecar.key)
        }
        try POSIXFile.syncDirectory(paths.directory)
        return try POSIXFile.regularFileStatus(paths.data)?.modified ?? sidecar.uploadedAt
    }

    /// Adds the objects below `root/relative` whose keys start with `prefix`.
    private static func walk(root: String, relative: String, prefix: String, into found: inout [StoredObject]) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        for name in try POSIXFile.entries(of: directory) where !name.hasPrefix(".") {
            let key = relative.isEmpty ? name : relative + "/" + name
            let path = directory + "/" + name
            if POSIXFile.isDirectory(path) {
                // Descend only where keys can still match the prefix.
                let asPrefix = key + "/"
                if asPrefix.hasPrefix(prefix) || prefix.hasPrefix(asPrefix) {
                    try walk(root: root, relative: key, prefix: prefix, into: &found)
                }
            } else if key.hasPrefix(prefix), let status = try POSIXFile.regularFileStatus(path) {
                found.append(StoredObject(key: key, size: status.size, lastModified: status.modified))
            }
        }
    }

    /// Removes `directory` and its parents up to (not including) `root` while they are empty.
    private static func removeEmptyDirectories(from directory: String, root: String) {
        var current = directory
        while current.count > root.count, current.hasPrefix(root + "/"), rmdir(current) == 0 {
            current = String(current[..<current.lastIndex(of: "/")!])
        }
    }
}
