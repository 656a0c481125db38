import Foundation
import Hummingbird
import NIOCore
import TapsterCore

/// The Neutron API's JSON dialect: keys exactly as Neutron spells them (each type names its
/// keys, e.g. `binding:host_id`, `IN`), no key conversion, and `{"tap_service": …}` envelopes.
enum NeutronJSON {
    /// A JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// `{"<key>": value}` — Neutron's envelope around one object or a list.
    static func envelope<Value: Encodable>(_ key: String, _ value: Value) -> [String: Value] {
        [key: value]
    }

    /// Decodes the body `{"<key>": {…}}` and returns the inner object. Errors are `HTTPBadRequest`s
    /// that name the field, as ``JSONCoding`` words them.
    static func decode<T: Decodable>(_ type: T.Type, in key: String, from request: Request, context: TapsterRequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else { throw TapsterError(.malformedJSON, "the request needs a JSON body {\"\(key)\": {…}}") }
        let envelope: [String: T]
        do {
            envelope = try JSONDecoder().decode([String: T].self, from: data)
        } catch let error as DecodingError {
            throw JSONCoding.describe(error)
        } catch let error as TapsterError {
            throw error
        } catch {
            throw TapsterError(.malformedJSON, "the body is not valid JSON")
        }
        guard let body = envelope[key] else {
            throw TapsterError(.malformedJSON, "the body must be {\"\(key)\": {…}}")
        }
        return body
    }
}
