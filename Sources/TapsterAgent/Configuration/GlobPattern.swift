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

    /// Whether the file path `path` matches the whole pattern, a `*` or `?` never crossing a `/`
    /// (`FNM_PATHNAME`), so `/usr/sbin/*` does not match `/usr/sbin/x/evil`. A path the kernel marks
    /// ` (deleted)` (an executable removed or replaced since it started) never matches: whatever was at
    /// the path then is not what is there now.
    public func matches(path: String) -> Bool {
        guard !path.hasSuffix(" (deleted)") else { return false }
        return fnmatch(pattern, path, FNM_PATHNAME) == 0
    }

    public var description: String { pattern }
}
