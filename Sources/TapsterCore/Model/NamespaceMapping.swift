/// What an admin writes to give Kubernetes namespaces to a tenant: every pod in a namespace the
/// ``pattern`` matches belongs to ``tenant`` (unless a more specific mapping matches it: ``NamespacePattern``).
public struct NamespaceMappingSpec: Codable, Sendable, Equatable {
    /// A namespace name (`shop`), or a glob over names where `*` stands for any run of characters
    /// (`shop-*`, `*-prod`, `*`). Unique: it names the mapping.
    public var pattern: String
    public var tenant: String
    public var description: String

    public init(pattern: String, tenant: String, description: String = "") {
        self.pattern = pattern
        self.tenant = tenant
        self.description = description
    }

    private enum CodingKeys: String, CodingKey { case pattern, tenant, description }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pattern = try c.decode(String.self, forKey: .pattern)
        tenant = try c.decode(String.self, forKey: .tenant)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
    }

    /// Checks every field; returns the spec unchanged when valid.
    public func validated() throws(TapsterError) -> NamespaceMappingSpec {
        _ = try NamespacePattern(pattern)
        try ResourceName.validate(tenant, field: "tenant")
        try Validation.text(description, field: "description", maximum: 1024)
        return self
    }
}

/// An admin's rule: the pods of the Kubernetes namespaces a pattern matches belong to a tenant.
public typealias NamespaceMapping = Record<NamespaceMappingSpec>

/// A mapping's pattern, validated: a Kubernetes namespace name, or one with `*` wildcards.
///
/// Which of several matching patterns decides (``isMoreSpecific(than:)``): an exact name beats every glob;
/// among globs the longest pattern (in characters) wins, because it spells out more of the name; among
/// globs of the same length, the one with fewer `*`; then the first in byte order — so that exactly one
/// mapping decides each namespace, whatever order the mappings were made in.
public struct NamespacePattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    /// The literal runs between the `*`s (`shop-*` → `["shop-", ""]`).
    private let parts: [Substring]

    public init(_ text: String, field: String = "pattern") throws(TapsterError) {
        let scalars = Array(text.unicodeScalars)
        guard (1...KubernetesNamespace.maximumLength).contains(scalars.count),
              scalars.allSatisfy({ KubernetesNamespace.isAlphanumeric($0) || $0 == "-" || $0 == "*" }) else {
            throw TapsterError.invalid(field, "\"\(text.prefix(80))\" must be 1–\(KubernetesNamespace.maximumLength) lowercase letters, digits, '-' and '*' (a Kubernetes namespace name, or a glob such as shop-*)")
        }
        guard !text.contains("**") else {
            throw TapsterError.invalid(field, "\"\(text)\" has '**': one '*' already stands for any run of characters")
        }
        if !text.contains("*") { try KubernetesNamespace.validate(text, field: field) }
        self.text = text
        self.parts = text.split(separator: "*", omittingEmptySubsequences: false)
    }

    public var description: String { text }

    /// Whether it is a plain name (no `*`).
    public var isExact: Bool { parts.count == 1 }

    /// Whether `namespace` matches: equal to an exact pattern, or matched by the glob (`*`: any run of characters, empty too).
    public func matches(_ namespace: String) -> Bool {
        guard let first = parts.first, let last = parts.last else { return false }
        if isExact { return namespace == text }
        guard namespace.hasPrefix(first), namespace.count >= first.count + last.count else { return false }
        var rest = namespace.dropFirst(first.count)
        guard rest.hasSuffix(last) else { return false }
        rest = rest.dropLast(last.count)
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let range = rest.firstRange(of: middle) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    /// Whether this pattern decides over `other` when both match a namespace.
    public func isMoreSpecific(than other: NamespacePattern) -> Bool {
        if isExact != other.isExact { return isExact }
        if text.count != other.text.count { return text.count > other.text.count }
        if parts.count != other.parts.count { return parts.count < other.parts.count }
        return Array(text.utf8).lexicographicallyPrecedes(Array(other.text.utf8))
    }
}
