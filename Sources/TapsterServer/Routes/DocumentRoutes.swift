import Foundation
import Hummingbird
import NIOCore
import Yams

/// `/healthz` and the OpenAPI document, which need no token.
struct DocumentRoutes {
    /// The OpenAPI document shipped as a resource of this module.
    static let openAPIDocument: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url) else { return ByteBuffer(string: "") }
        return ByteBuffer(bytes: data)
    }()

    /// The same document as JSON, converted once from the YAML.
    static let openAPIJSON: ByteBuffer = {
        guard let object = try? Yams.load(yaml: String(buffer: openAPIDocument)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return ByteBuffer(string: "{}")
        }
        return ByteBuffer(bytes: data)
    }()

    func register(on router: Router<TapsterRequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("api/v1/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: Self.openAPIDocument))
        }
        router.get("api/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.openAPIJSON))
        }
    }
}
