import Glibc

/// A shell wildcard pattern (`web*`, `eth[01]`, `hostA-?`) matched with fnmatch(3), as the agent's
/// configuration uses to pick namespaces and interfaces by name.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String

    /// Wraps a pattern; every string is a pattern (a malformed bracket matches itself, as in the shell).
    public init(_ pattern: String) {
        self.pattern = pattern
    }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }

    public var description: String { pattern }
}
