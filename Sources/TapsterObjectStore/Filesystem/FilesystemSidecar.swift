import Foundation

/// What the filesystem store keeps beside each object, in `.<name>.meta.json` in the object's directory:
/// its tags and media type, and the SHA-256 of its content (the ``StoredObject/etag``).
struct FilesystemSidecar: Codable, Sendable, Equatable {
    var formatVersion: Int = 1
    var key: String
    var contentType: String
    var tags: [String: String]
    var size: Int64
    var sha256: String
    var uploadedAt: Date

    static func encode(_ sidecar: FilesystemSidecar) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(sidecar)
    }

    /// The sidecar at `path`, or `nil` when there is none.
    static func read(_ path: String) throws -> FilesystemSidecar? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(FilesystemSidecar.self, from: data)
        } catch {
            throw FilesystemObjectStoreError(operation: "decode sidecar", path: path, errno: 0, detail: "\(error)")
        }
    }
}

/// Where the files of one key live below the store's root.
struct FilesystemPaths: Sendable {
    /// The object's directory (the root itself for a key without `/`).
    let directory: String
    /// The directories between the root and the object, e.g. `captures`, `acme`.
    let directoryComponents: [Substring]
    /// The object's file name.
    let name: Substring
    /// The object's bytes.
    var data: String { directory + "/" + name }
    /// Its tags and media type.
    var sidecar: String { directory + "/." + name + ".meta.json" }

    /// The paths of `key`, which must be valid (``ObjectKey/validate(_:)``).
    init(root: String, key: String) {
        var components = key.split(separator: "/")
        name = components.removeLast()
        directoryComponents = components
        directory = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
    }

    /// A fresh hidden name in the object's directory, for a file being written.
    func temporary(_ purpose: String) -> String {
        directory + "/." + name + "." + purpose + "-" + String(UInt64.random(in: .min ... .max), radix: 16)
    }
}
