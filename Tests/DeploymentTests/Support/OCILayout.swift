import Foundation
import TapsterSystemTestSupport
import Testing

/// An OCI image archive unpacked into a directory, read as a runtime reads it: the index, then each blob by
/// its digest, which must be the SHA-256 of its bytes and of the size its descriptor says.
struct OCILayout {
    let directory: URL

    /// Unpacks `archive` (a tar) into `directory`.
    init(unpacking archive: String, into directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try ProcessRunner.run(["tar", "-xf", archive, "-C", directory.path])
        self.directory = directory
    }

    /// A JSON object file of the layout (`index.json`, `oci-layout`).
    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(path))) as? [String: Any],
                     "\(path) is not a JSON object")
    }

    /// A JSON array file of the layout (Docker's `manifest.json`).
    func jsonArray(_ path: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(path))) as? [[String: Any]],
                     "\(path) is not a JSON array of objects")
    }

    /// The image manifests the index names.
    func manifests() throws -> [[String: Any]] {
        try (json("index.json")["manifests"] as? [[String: Any]] ?? []).map(verifiedBlob)
    }

    /// The hex part of a descriptor's `sha256:` digest.
    static func hex(of descriptor: [String: Any]) -> String {
        String((descriptor["digest"] as? String ?? "").dropFirst("sha256:".count))
    }

    /// The bytes of the blob a descriptor names, after checking its digest and size.
    func verifiedBlobBytes(_ descriptor: [String: Any]) throws -> Data {
        let digest = try #require(descriptor["digest"] as? String)
        #expect(digest.hasPrefix("sha256:"))
        let path = blobPath(descriptor)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == descriptor["size"] as? Int, "size of \(digest)")
        #expect(try sha256(of: path) == Self.hex(of: descriptor), "digest of \(digest)")
        return data
    }

    /// The JSON object in the blob a descriptor names, after checking its digest and size.
    func verifiedBlob(_ descriptor: [String: Any]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: verifiedBlobBytes(descriptor)) as? [String: Any])
    }

    /// The SHA-256 of a gzip'd layer's uncompressed tar: what the config's `diff_ids` name.
    func uncompressedDigest(_ layer: [String: Any]) throws -> String {
        let output = try ProcessRunner.run(["sh", "-c", "gzip -dc \"$0\" | sha256sum", blobPath(layer)]).stdout
        return String(output.prefix { $0 != " " })
    }

    /// The entries of a manifest's one layer as `tar -t` lists them (directories end in `/`).
    func files(inOnlyLayerOf manifest: [String: Any]) throws -> [String] {
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        try #require(layers.count == 1)
        return try ProcessRunner.run(["tar", "-tzf", blobPath(layers[0])]).stdout.split(separator: "\n").map(String.init)
    }

    private func blobPath(_ descriptor: [String: Any]) -> String {
        directory.appendingPathComponent("blobs/sha256/\(Self.hex(of: descriptor))").path
    }

    private func sha256(of path: String) throws -> String {
        String(try ProcessRunner.run(["sha256sum", path]).stdout.prefix { $0 != " " })
    }
}
