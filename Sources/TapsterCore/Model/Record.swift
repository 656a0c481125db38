import Foundation

/// A stored, admin-defined object: an id, timestamps, and the ``spec`` the admin wrote.
///
/// It encodes flat — the spec's fields beside `id`, `created_at` and `updated_at` — and
/// forwards member access to the spec, so `target.kind` reads `target.spec.kind`.
@dynamicMemberLookup
public struct Record<Spec: Codable & Sendable & Equatable>: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var createdAt: Date
    public var updatedAt: Date
    public var spec: Spec

    public init(id: String = Identifier.make(), createdAt: Date, updatedAt: Date? = nil, spec: Spec) {
        self.id = id
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.spec = spec
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Spec, Value>) -> Value {
        spec[keyPath: keyPath]
    }

    private enum CodingKeys: String, CodingKey {
        case id, createdAt, updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
        spec = try Spec(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try spec.encode(to: encoder)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// Object identifiers: lowercase UUIDs, as Neutron uses for ports and tap services.
public enum Identifier {
    public static func make() -> String { UUID().uuidString.lowercased() }

    /// Whether `text` has the shape of an identifier (so a reference is looked up by id, not name).
    public static func isIdentifier(_ text: String) -> Bool {
        UUID(uuidString: text) != nil
    }
}
