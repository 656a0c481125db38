import Foundation

/// A value parsed by Yams (`Any`: dictionaries, arrays, strings, numbers, booleans), walked by key and
/// index; a missing key or a value of another type reads as absent, so a test can `#require` exactly
/// the field it is about.
struct YAMLTree: CustomStringConvertible {
    let value: Any?

    init(_ value: Any?) { self.value = value }

    subscript(key: String) -> YAMLTree { YAMLTree((value as? [String: Any])?[key]) }

    /// `tree["spec.template.spec"]`-style access through nested maps.
    subscript(path path: String) -> YAMLTree {
        path.split(separator: ".").reduce(self) { tree, key in tree[String(key)] }
    }

    var string: String? { value as? String }
    var int: Int? { value as? Int }
    var bool: Bool? { value as? Bool }
    var isPresent: Bool { value != nil && !(value is NSNull) }
    /// The items of a list; empty when this is not one.
    var items: [YAMLTree] { (value as? [Any])?.map(YAMLTree.init) ?? [] }
    /// The keys of a map; empty when this is not one.
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
    /// A map of strings (labels, selectors); empty when this is not one.
    var stringMap: [String: String] { (value as? [String: Any])?.compactMapValues { $0 as? String } ?? [:] }
    /// A list of strings (arguments, capabilities); empty when this is not one.
    var strings: [String] { items.compactMap(\.string) }

    var description: String { value.map { "\($0)" } ?? "nil" }
}
