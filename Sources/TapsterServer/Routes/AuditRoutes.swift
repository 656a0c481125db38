import Foundation
import Hummingbird
import TapsterCore
import TapsterStore

/// `/audit` and `/audit/verify`.
struct AuditRoutes {
    let audit: AuditService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.endpoint(.get, "audit") { request, _, p in
            let query = try Self.query(request, now: audit.now)
            return AuditPage.of(try await audit.auditEvents(p, query), query: query)
        }
        api.endpoint(.get, "audit/verify") { _, _, p in try await audit.verifyAudit(p) }
    }

    /// Reads `since`, `until` (ISO time, or a duration ago such as `1h`), `actor`, `action`,
    /// `tap`, `object_type`, `object`, `before` (page back: events older than this sequence number),
    /// `after` (follow: events newer than it, oldest first), `order` (`newest`, the default, or `oldest`),
    /// `limit` (default 500, at most 10000).
    static func query(_ request: Request, now: Date) throws(TapsterError) -> AuditQuery {
        var query = AuditQuery(newestFirst: true, limit: 500)
        query.since = try request.timeQuery("since", now: now)
        query.until = try request.timeQuery("until", now: now)
        query.actor = request.query("actor")
        query.action = request.query("action")
        if let tap = request.query("tap") {
            query.objectId = tap
            query.objectType = ResourceKind.tap.rawValue
        }
        if let type = request.query("object_type") { query.objectType = type }
        if let object = request.query("object") { query.objectId = object }
        if let after = request.query("after") {
            guard let value = Int64(after), value >= 0 else { throw TapsterError(.badRequest, "after: \"\(after)\" is not a sequence number") }
            query.afterSequence = value
            query.newestFirst = false
        }
        if let before = request.query("before") {
            guard let value = Int64(before), value >= 1 else { throw TapsterError(.badRequest, "before: \"\(before)\" is not a sequence number") }
            query.beforeSequence = value
        }
        switch request.query("order") {
        case nil: break
        case "newest": query.newestFirst = true
        case "oldest": query.newestFirst = false
        case let order?: throw TapsterError(.badRequest, "order: \"\(order)\" is neither newest nor oldest")
        }
        if let limit = request.query("limit") {
            guard let value = Int(limit), (1...10_000).contains(value) else { throw TapsterError(.badRequest, "limit: \"\(limit)\" is not 1–10000") }
            query.limit = value
        }
        return query
    }
}

extension AuditPage {
    /// The page `events` make for `query`: newest first and full, it has an older page after it.
    static func of(_ events: [AuditEvent], query: AuditQuery) -> AuditPage {
        let full = query.limit.map { events.count >= $0 } ?? false
        return AuditPage(items: events, nextBefore: query.newestFirst && full ? events.last?.sequence : nil)
    }
}
