import TapsterCore

/// A decoded API answer together with the JSON document it came from.
///
/// Tables are drawn from ``value``; `-o json` and `-o yaml` print ``json`` unchanged, so they
/// show exactly what the API answered.
public struct APIResponse<Value: Sendable>: Sendable {
    public var value: Value
    public var json: JSONValue

    public init(value: Value, json: JSONValue) {
        self.value = value
        self.json = json
    }
}
