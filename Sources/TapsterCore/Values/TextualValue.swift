/// A value whose JSON form is its text: it encodes as its ``description`` and decodes by
/// ``parse(_:)``, so a bad value in a request fails decoding with the parser's own message.
public protocol TextualValue: Codable, CustomStringConvertible {
    /// Parses the textual form, throwing the error a user should see.
    static func parse(_ text: String) throws(TapsterError) -> Self
}

extension TextualValue {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { self = try Self.parse(text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
