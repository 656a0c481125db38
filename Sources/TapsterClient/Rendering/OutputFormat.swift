/// How a command prints what the API answered (`-o`/`--output`), as kubectl does.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned columns with UPPERCASE headers, times as ages (`5m`) and deadlines as `in 14m`.
    case table
    /// The API's JSON, pretty-printed with sorted keys.
    case json
    /// The API's JSON as YAML, same keys.
    case yaml
    /// `kind/name` (or `kind/id`) per object, one a line — for scripts.
    case name
}
