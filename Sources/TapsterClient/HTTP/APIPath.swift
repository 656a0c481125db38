import Foundation

/// Builds request paths and query strings with every user-supplied part percent-encoded,
/// so that a name or id can never change which endpoint is called.
public enum APIPath {
    /// The native API's base path.
    public static let base = "/api/v1"

    /// Characters left as they are in a path segment or query value (RFC 3986 "unreserved").
    private static let unreserved = CharacterSet(charactersIn:
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// `/api/v1/<segment>/<segment>…`, each segment escaped; literal segments may contain `/`.
    public static func api(_ segments: String...) -> String {
        base + "/" + segments.joined(separator: "/")
    }

    /// One user-supplied path segment (a name or id), escaped.
    public static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }

    /// `?key=value&…` for the parameters that have a value, in the given order; empty when none do.
    public static func query(_ parameters: KeyValuePairs<String, String?>) -> String {
        query(parameters.map { ($0.key, $0.value) })
    }

    /// `?key=value&…` for the parameters that have a value, in the given order; empty when none do.
    public static func query(_ parameters: [(key: String, value: String?)]) -> String {
        let pairs = parameters.compactMap { key, value in
            value.map { "\(escape(key))=\(escape($0))" }
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }
}
