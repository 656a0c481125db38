/// Which part of a list a command asks for: every page (kubectl's default: the client follows
/// `continue` until the list ends), or one page — at most ``limit`` items after ``continueToken`` —
/// as `--limit` / `--continue` ask.
public struct ListPaging: Sendable, Equatable {
    public var limit: Int?
    public var continueToken: String?

    public init(limit: Int? = nil, continueToken: String? = nil) {
        self.limit = limit
        self.continueToken = continueToken
    }

    /// Every item, page after page.
    public static let all = ListPaging()

    /// Whether one page is asked for rather than the whole list.
    public var isOnePage: Bool { limit != nil || continueToken != nil }

    /// `path` with `limit` and `continue` added to its query (which it may already have).
    static func path(_ path: String, limit: Int?, continue token: String?) -> String {
        let query = APIPath.query(["limit": limit.map(String.init), "continue": token])
        guard !query.isEmpty else { return path }
        return path.contains("?") ? path + "&" + query.dropFirst() : path + query
    }
}
