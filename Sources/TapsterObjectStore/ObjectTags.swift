/// The rules for object tags, S3's (so that the filesystem store accepts exactly what S3 would): at most
/// ``maximumCount`` tags; keys 1…``maximumKeyLength`` characters, values 0…``maximumValueLength``; keys
/// not starting with `aws:`; only letters, digits, spaces and `_ . : / = + - @`.
public enum ObjectTags {
    /// The most tags on one object.
    public static let maximumCount = 10
    /// The longest tag key, in characters.
    public static let maximumKeyLength = 128
    /// The longest tag value, in characters.
    public static let maximumValueLength = 256

    /// Checks `tags` against the rules.
    ///
    /// - Throws: ``ObjectStoreError/invalidTags(_:)`` naming the tag and the rule.
    public static func validate(_ tags: [String: String]) throws(ObjectStoreError) {
        if tags.count > maximumCount {
            throw .invalidTags(InvalidObjectTags(tagKey: nil, reason: .tooMany(tags.count)))
        }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            let reason: InvalidObjectTags.Reason? =
                if key.isEmpty { .emptyKey }
                else if key.count > maximumKeyLength { .keyTooLong }
                else if value.count > maximumValueLength { .valueTooLong }
                else if key.lowercased().hasPrefix("aws:") { .reservedPrefix }
                else if let bad = (key + value).unicodeScalars.first(where: { !isAllowed($0) }) { .forbiddenCharacter(bad) }
                else { nil }
            if let reason { throw .invalidTags(InvalidObjectTags(tagKey: key, reason: reason)) }
        }
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        if "_.:/=+-@ ".unicodeScalars.contains(scalar) { return true }
        let properties = scalar.properties
        return properties.isAlphabetic || properties.numericType != nil
    }
}

/// Tags that ``ObjectTags`` rejects, and why.
public struct InvalidObjectTags: Sendable, Hashable, CustomStringConvertible {
    /// The offending tag's key (`nil` when the set as a whole is wrong).
    public var tagKey: String?
    /// The rule broken.
    public var reason: Reason

    /// Which rule of ``ObjectTags`` is broken.
    public enum Reason: Sendable, Hashable {
        /// More than ``ObjectTags/maximumCount`` tags.
        case tooMany(Int)
        /// An empty key.
        case emptyKey
        /// A key longer than ``ObjectTags/maximumKeyLength``.
        case keyTooLong
        /// A value longer than ``ObjectTags/maximumValueLength``.
        case valueTooLong
        /// A key starting with `aws:`.
        case reservedPrefix
        /// A character S3 does not allow in tags.
        case forbiddenCharacter(Unicode.Scalar)
    }

    public var description: String {
        let which = tagKey.map { "tag '\($0)'" } ?? "tags"
        let why = switch reason {
        case .tooMany(let count): "\(count) tags, more than \(ObjectTags.maximumCount)"
        case .emptyKey: "the key is empty"
        case .keyTooLong: "the key is longer than \(ObjectTags.maximumKeyLength) characters"
        case .valueTooLong: "the value is longer than \(ObjectTags.maximumValueLength) characters"
        case .reservedPrefix: "keys starting with 'aws:' are reserved"
        case .forbiddenCharacter(let scalar): "character U+\(String(scalar.value, radix: 16, uppercase: true)) is not allowed (letters, digits, spaces and _ . : / = + - @ are)"
        }
        return "invalid \(which): \(why)"
    }
}
