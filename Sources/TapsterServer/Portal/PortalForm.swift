import Foundation
import Hummingbird
import TapsterCore

/// A submitted HTML form (`application/x-www-form-urlencoded`): its fields by name.
struct PortalForm: Sendable {
    let fields: [String: String]

    init(fields: [String: String] = [:]) {
        self.fields = fields
    }

    /// Reads the request body; a body that is not a form is `bad_request`.
    static func read(_ request: Request, context: TapsterRequestContext) async throws -> PortalForm {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let text = String(buffer: buffer)
        do {
            return PortalForm(fields: try URLEncodedFormDecoder().decode([String: String].self, from: text))
        } catch {
            throw TapsterError(.badRequest, "the form could not be read: \(error)")
        }
    }

    /// A field as typed (empty when absent).
    subscript(_ name: String) -> String { fields[name] ?? "" }

    /// A field with surrounding white space removed, or `nil` when that leaves nothing.
    func trimmed(_ name: String) -> String? {
        let value = self[name].trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }

    /// Decodes the named fields as the API's JSON body of type `T`, so a form fails with the API's
    /// own messages (naming the field). Empty fields are left out; `integers` are sent as numbers
    /// when they are numbers, and as typed otherwise (so the decoder names the field); `lists`
    /// are comma-separated and sent as arrays.
    func decode<T: Decodable>(_ type: T.Type, fields names: [String], integers: Set<String> = [],
                              lists: Set<String> = []) throws(TapsterError) -> T {
        var object: [String: Any] = [:]
        for name in names {
            guard let value = trimmed(name) else { continue }
            if integers.contains(name) {
                object[name] = Int64(value).map { $0 as Any } ?? value
            } else if lists.contains(name) {
                object[name] = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else {
                object[name] = value
            }
        }
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: object) } catch {
            throw TapsterError(.badRequest, "the form could not be read")
        }
        return try JSONCoding.decode(type, from: data)
    }
}
