/// The rules for object keys, the same for every ``ObjectStore`` so that a key valid on the filesystem is
/// valid on S3 and the reverse.
///
/// A key is one or more components separated by `/`. It is not empty, at most ``maximumBytes`` bytes of
/// UTF-8, and does not start with `/`. Each component is non-empty (no `//`, no trailing `/`), at most
/// ``maximumComponentBytes`` bytes, and does not start with `.` — which rules out `.` and `..` (so a key
/// can never leave the store's root directory) and leaves hidden names to the filesystem store's own files.
/// No control characters and no `\`.
public enum ObjectKey {
    /// The longest key, in UTF-8 bytes (S3 allows 1024; the store's key prefix needs room).
    public static let maximumBytes = 900
    /// The longest component, in UTF-8 bytes (filesystems allow 255; the sidecar's name needs room).
    public static let maximumComponentBytes = 200

    /// Checks `key` against the rules.
    ///
    /// - Throws: ``ObjectStoreError/invalidKey(_:)`` naming the first rule broken.
    public static func validate(_ key: String) throws(ObjectStoreError) {
        if let reason = problem(with: key) {
            throw .invalidKey(InvalidObjectKey(key: key, reason: reason))
        }
    }

    /// Checks a listing prefix: like a key, except that it may be empty and may end with `/` or with part of a
    /// component.
    ///
    /// - Throws: ``ObjectStoreError/invalidKey(_:)``.
    public static func validatePrefix(_ prefix: String) throws(ObjectStoreError) {
        guard !prefix.isEmpty else { return }
        var components = prefix.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if components.last == "" { components.removeLast() }
        // The last component may be a partial name ("capt" of "captures"), but it still may not be `..`.
        if let reason = problem(with: components.joined(separator: "/"), allowsEmpty: true) {
            throw .invalidKey(InvalidObjectKey(key: prefix, reason: reason))
        }
    }

    static func problem(with key: String, allowsEmpty: Bool = false) -> InvalidObjectKey.Reason? {
        if key.isEmpty { return allowsEmpty ? nil : .empty }
        if key.utf8.count > maximumBytes { return .tooLong(bytes: key.utf8.count) }
        if key.hasPrefix("/") { return .absolutePath }
        for scalar in key.unicodeScalars {
            if scalar == "\\" { return .backslash }
            if scalar.properties.generalCategory == .control { return .controlCharacter }
        }
        for component in key.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { return .emptyComponent }
            if component == ".." || component == "." { return .parentOrCurrentDirectory }
            if component.hasPrefix(".") { return .hiddenComponent(String(component)) }
            if component.utf8.count > maximumComponentBytes { return .componentTooLong(String(component)) }
        }
        return nil
    }
}

/// A key that ``ObjectKey`` rejects, and why.
public struct InvalidObjectKey: Sendable, Hashable, CustomStringConvertible {
    /// The rejected key.
    public var key: String
    /// The rule it breaks.
    public var reason: Reason

    /// Which rule of ``ObjectKey`` a key breaks.
    public enum Reason: Sendable, Hashable {
        /// The key is empty.
        case empty
        /// Longer than ``ObjectKey/maximumBytes`` bytes of UTF-8.
        case tooLong(bytes: Int)
        /// It starts with `/`.
        case absolutePath
        /// A component is `.` or `..`.
        case parentOrCurrentDirectory
        /// A component starts with `.`.
        case hiddenComponent(String)
        /// `//`, or a trailing `/`.
        case emptyComponent
        /// A component longer than ``ObjectKey/maximumComponentBytes`` bytes.
        case componentTooLong(String)
        /// A control character (newline, NUL…).
        case controlCharacter
        /// A backslash.
        case backslash
    }

    public var description: String {
        let why = switch reason {
        case .empty: "it is empty"
        case .tooLong(let bytes): "it is \(bytes) bytes long, more than \(ObjectKey.maximumBytes)"
        case .absolutePath: "it is an absolute path (starts with '/')"
        case .parentOrCurrentDirectory: "it has a '.' or '..' component"
        case .hiddenComponent(let component): "component '\(component)' starts with '.'"
        case .emptyComponent: "it has an empty component ('//' or a trailing '/')"
        case .componentTooLong(let component): "component '\(component.prefix(40))…' is longer than \(ObjectKey.maximumComponentBytes) bytes"
        case .controlCharacter: "it contains a control character"
        case .backslash: "it contains a backslash"
        }
        return "invalid object key '\(key)': \(why)"
    }
}
