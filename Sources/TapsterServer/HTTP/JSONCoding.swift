import Foundation
import Hummingbird
import NIOCore
import TapsterCore

/// Reading JSON request bodies and writing JSON responses in the API's one dialect (``TapsterJSON``).
enum JSONCoding {
    private static let encoder = TapsterJSON.encoder()

    /// A JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes the request body; a body that is not JSON of the expected shape is `malformed_json`
    /// naming the field and the problem; a value that fails validation while decoding is `invalid_argument`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(TapsterError) -> T {
        guard !data.isEmpty else { throw TapsterError(.malformedJSON, "the request needs a JSON body") }
        do {
            return try TapsterJSON.decoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw TapsterError(.malformedJSON, "the body is not valid JSON")
        }
    }

    static func describe(_ error: DecodingError) -> TapsterError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { key in key.intValue.map { "[\($0)]" } ?? snake(key.stringValue) }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return TapsterError(.invalidArgument, "\(field): is required", field: field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return TapsterError(.malformedJSON, "\(field.isEmpty ? "body" : field): expected \(describe(type))", field: field.isEmpty ? nil : field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return TapsterError(.invalidArgument, "\(field): expected \(describe(type)), found null", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return TapsterError(.malformedJSON, "the body is not valid JSON") }
            return TapsterError(.invalidArgument, "\(field): \(reason(context.debugDescription, field: field))", field: field)
        @unknown default:
            return TapsterError(.malformedJSON, "the body does not have the expected shape")
        }
    }

    /// The allowed values of the API's enumerations, for "not one of …" messages.
    private static let enumerations: [String: [String]] = [
        "Direction": Direction.allCases.map(\.rawValue), "TargetKind": TargetKind.allCases.map(\.rawValue),
        "Role": Role.allCases.map(\.rawValue), "WorkloadKind": WorkloadKind.allCases.map(\.rawValue),
        "FlowProtocol": FlowProtocol.allCases.map(\.rawValue), "TapState": TapState.allCases.map(\.rawValue),
    ]

    /// A decoding failure's reason in the user's terms: an enumeration lists its values; a
    /// value parser's message is used as it is, without repeating the field name.
    private static func reason(_ debugDescription: String, field: String) -> String {
        let prefix = "Cannot initialize "
        if debugDescription.hasPrefix(prefix), let from = debugDescription.range(of: " from invalid String value ") {
            let type = String(debugDescription[debugDescription.index(debugDescription.startIndex, offsetBy: prefix.count)..<from.lowerBound])
            let value = debugDescription[from.upperBound...]
            if let allowed = enumerations[type] {
                return "\"\(value)\" is not one of \(allowed.joined(separator: ", "))"
            }
            return "\"\(value)\" is not valid here"
        }
        let name = field.split(separator: ".").last.map(String.init) ?? field
        for repeated in [field + ": ", name + ": "] where debugDescription.hasPrefix(repeated) {
            return String(debugDescription.dropFirst(repeated.count))
        }
        return debugDescription
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt32.Type, is UInt64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    /// `sessionId` → `session_id`, the wire name of a Swift property.
    static func snake(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
