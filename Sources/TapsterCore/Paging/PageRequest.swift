/// Which page of a list is asked for: at most ``limit`` items, after ``after`` — the query
/// parameters `limit` and `continue` of every list of the native API.
public struct PageRequest: Sendable, Equatable {
    /// Items per page when the caller names no limit: large enough that most lists fit on one page,
    /// small enough that no answer is unbounded.
    public static let defaultLimit = 500
    /// The most items one page may hold.
    public static let maximumLimit = 1000

    public var limit: Int
    public var after: ContinueToken?

    public init(limit: Int = PageRequest.defaultLimit, after: ContinueToken? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Reads `limit` and `continue` as the client sent them (`nil` when absent), for `list`.
    public init(limit: String?, continue token: String?, list: String) throws(TapsterError) {
        var request = PageRequest()
        if let limit {
            guard let value = Int(limit), (1...Self.maximumLimit).contains(value) else {
                throw TapsterError(.badRequest, "limit: \"\(limit)\" is not a whole number from 1 to \(Self.maximumLimit)", field: "limit")
            }
            request.limit = value
        }
        if let token { request.after = try ContinueToken(decoding: token, list: list) }
        self = request
    }

    /// This page of `items` (those the caller may see, in any order): sorted by their keys, those
    /// after the cursor, at most ``limit``; with the token of the next page when more follow.
    public func page<Item: Pageable>(of items: [Item], list: String) throws(TapsterError) -> Page<Item> {
        var keyed = items.map { (key: $0.pageKey, item: $0) }
        if let after, let first = keyed.first, first.key.parts.count != after.after.count {
            throw TapsterError(.badRequest, "continue: not a token from a previous page of this list; list again without it", field: "continue")
        }
        keyed.sort { $0.key.precedes($1.key) }
        let remaining = after.map { cursor in keyed.filter { $0.key.follows(cursor.after) } } ?? keyed
        let page = remaining.prefix(limit)
        let next = remaining.count > limit ? page.last.map { ContinueToken(list: list, after: $0.key.parts) } : nil
        return Page(items: page.map(\.item), next: next)
    }
}

/// One page of a list and the cursor of the next one (`nil` on the last page).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: ContinueToken?
}
