import Foundation

/// Any JSON document: the API's answers kept as the server wrote them (so that the CLI's `-o json` and
/// `-o yaml` show exactly the API's fields, including ones the client does not model), and the claims of
/// an identity provider's tokens.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a JSON document.
    public init(data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `key` of an object, or `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value at a dotted path of object members (`realm_access.roles`), or `nil` when any step is
    /// missing or not an object. A member whose own name contains dots is found too (`https://example.com/groups`),
    /// the longest name first.
    public func value(atPath path: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        if let whole = members[path] { return whole }
        var split = path.lastIndex(of: ".")
        while let dot = split {
            if let member = members[String(path[..<dot])] {
                return member.value(atPath: String(path[path.index(after: dot)...]))
            }
            split = path[..<dot].lastIndex(of: ".")
        }
        return nil
    }

    /// A string as itself, an array as its string members, anything else as nothing: how a claim such as
    /// `groups` (a list) or `role` (one name) reads as a set of names.
    public var strings: [String] {
        switch self {
        case .string(let value): [value]
        case .array(let values): values.compactMap { if case .string(let value) = $0 { value } else { nil } }
        default: []
        }
    }

    /// The text of a string value.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A number as seconds (JWT's `NumericDate`), for `exp`, `iat` and `nbf`.
    public var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// Pretty-printed with sorted keys and two-space indentation, as `TapsterJSON.encoder(pretty: true)` writes.
    public func prettyPrinted() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
