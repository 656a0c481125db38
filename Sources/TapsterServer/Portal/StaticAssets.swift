import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The portal's stylesheet and script (`Resources/portal/static/`), served from memory at
/// `/static/<name>` — nothing comes from a CDN. Pages link them as `/static/<name>?v=<hash>`,
/// so browsers may keep them for a day and still get a new version at once.
struct StaticAssets: Sendable {
    private struct Asset: Sendable {
        let body: ByteBuffer
        let contentType: String
        let etag: String
    }

    private let files: [String: Asset]

    init(logger: Logger) {
        var files: [String: Asset] = [:]
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"]
        let folder = Bundle.module.resourceURL?.appendingPathComponent("portal/static")
        for file in folder.flatMap({ try? FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) }) ?? [] {
            guard let type = types[file.pathExtension], let data = try? Data(contentsOf: file) else { continue }
            let digest = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
            files[file.lastPathComponent] = Asset(body: ByteBuffer(bytes: data), contentType: type, etag: digest)
        }
        if files.isEmpty { logger.error("portal static files not found in the resource bundle") }
        self.files = files
    }

    /// The URL a page links `name` with, versioned by its content.
    func url(of name: String) -> String {
        "/static/\(name)" + (files[name].map { "?v=\($0.etag)" } ?? "")
    }

    func register(on router: Router<TapsterRequestContext>) {
        let files = files
        router.get("static/{name}") { request, context in
            guard let asset = files[try context.parameter("name")] else { throw HTTPError(.notFound) }
            let etag = "\"\(asset.etag)\""
            var headers: HTTPFields = [.eTag: etag, .cacheControl: "public, max-age=86400", .contentType: asset.contentType]
            headers[.xContentTypeOptions] = "nosniff"
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
        }
    }
}
