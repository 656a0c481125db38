import Foundation

/// An item of a paged list: where it stands in its list's one stable order.
///
/// The order is total (every key ends with the item's id), so that a cursor naming the last item
/// of a page says exactly where the next page starts, even if that item is deleted meanwhile.
public protocol Pageable: Sendable {
    var pageKey: PageKey { get }
}

/// The values a list is ordered by, most significant first, each compared in byte order (as the
/// store's `ORDER BY` compares names), the whole key ascending or — for newest-first lists — descending.
public struct PageKey: Sendable, Equatable {
    public var parts: [String]
    public var descending: Bool

    /// Ordered by `parts`, first to last.
    public static func ascending(_ parts: String...) -> PageKey { PageKey(parts: parts, descending: false) }

    /// Ordered by `parts`, last to first (newest first, for keys that start with ``time(_:)``).
    public static func descending(_ parts: String...) -> PageKey { PageKey(parts: parts, descending: true) }

    /// A time as a key part: milliseconds since 1970 (the store's resolution), zero-padded so that
    /// byte order is time order.
    public static func time(_ date: Date) -> String {
        let milliseconds = max(0, date.millisecondsSince1970)
        let digits = String(milliseconds)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// Whether an item with these `parts` comes after an item with `cursor`'s parts in this key's order.
    func follows(_ cursor: [String]) -> Bool {
        let mine = parts.map { Array($0.utf8) }
        let theirs = cursor.map { Array($0.utf8) }
        return descending ? Self.precedes(mine, theirs) : Self.precedes(theirs, mine)
    }

    /// Whether this key comes before `other` in the list.
    func precedes(_ other: PageKey) -> Bool {
        other.follows(parts)
    }

    private static func precedes(_ a: [[UInt8]], _ b: [[UInt8]]) -> Bool {
        a.lexicographicallyPrecedes(b) { $0.lexicographicallyPrecedes($1) }
    }
}
