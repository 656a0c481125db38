import Foundation
import Hummingbird
import NIOCore
import TapsterCore
import TapsterStore

/// `/admin/audit`: the audit log searched by user, tap, action and time (the API's query
/// parameters), newest first, a page at a time (`before`, as in the API), the chain's verification
/// status, and `/admin/audit.csv` with the same search.
struct AuditPages {
    /// How many events a page shows; the CSV has up to 10 000 of the newest.
    static let shown = 250
    static let searchFields = ["actor", "action", "tap", "since", "until"]

    let portal: Portal

    /// An event as the page lists it.
    struct EventRow: Sendable {
        let sequence: Int64
        let time: String
        let actor: String
        let action: String
        let object: String
        let tapHref: String?
        let tenant: String
        let details: String
    }

    /// What the `audit` template shows.
    struct Content: Sendable {
        let search: FormView
        let events: [EventRow]
        let matched: Int
        /// The next page of older events, when there may be one.
        let olderHref: String?
        /// The first page, when this is a later one.
        let newestHref: String?
        let csvHref: String
        let chainValid: Bool
        let chainSummary: String
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/audit", roles: PortalRoutes.console) { request in
            var search = FormView(action: "/admin/audit", submit: "Search", fields: [
                FormField("actor", "User", hint: "Who acted, e.g. alice or system."),
                FormField("action", "Action", hint: "e.g. tap.created, or tap. for every tap event."),
                FormField("tap", "Tap id"),
                FormField("since", "Since", hint: "A time (2026-11-23T18:00:00Z) or a duration ago (1h)."),
                FormField("until", "Until"),
            ]).filled(from: PortalForm(fields: Dictionary(uniqueKeysWithValues: Self.searchFields.map { ($0, request.request.query($0) ?? "") })))
                .asSearch()
            var page = AuditPage(items: [])
            var status = HTTPResponse.Status.ok
            do {
                var query = try AuditRoutes.query(request.request, now: portal.now)
                query.newestFirst = true
                query.afterSequence = nil
                if request.request.query("limit") == nil { query.limit = Self.shown }
                page = AuditPage.of(try await portal.audit.auditEvents(request.principal, query), query: query)
            } catch let error as TapsterError where error.code == .badRequest {
                search = search.failed(TapsterError(error.code, error.message, field: error.message.components(separatedBy: ":").first))
                status = .badRequest
            }
            let verification = try await portal.audit.verifyAudit(request.principal)
            let parameters = Self.searchParameters(request.request)
            let content = Content(
                search: search, events: page.items.map(Self.row), matched: page.items.count,
                olderHref: page.nextBefore.map { Self.href("/admin/audit", parameters + [("before", String($0))]) },
                newestHref: request.request.query("before") == nil ? nil : Self.href("/admin/audit", parameters),
                csvHref: Self.href("/admin/audit.csv", parameters),
                chainValid: verification.valid,
                chainSummary: verification.valid
                    ? "Intact: all \(verification.checked) events verified."
                    : "Broken at event \(verification.firstBrokenSequence.map(String.init) ?? "?"): \(verification.reason ?? "unknown reason") (\(verification.checked) events verified before it).")
            return portal.render("audit", title: "Audit log", content: content, request: request.request, visitor: request.visitor, status: status)
        }
        routes.page("admin/audit.csv", roles: PortalRoutes.console) { request in
            var query = try AuditRoutes.query(request.request, now: portal.now)
            if request.request.query("limit") == nil { query.limit = 10_000 }
            // The newest events of the search, written oldest first as a log file reads.
            let events = Array(try await portal.audit.auditEvents(request.principal, query).sorted { $0.sequence < $1.sequence })
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"tapster-audit.csv\"",
                .cacheControl: "no-store",
            ], body: .init(byteBuffer: ByteBuffer(string: AuditCSV.render(events))))
        }
    }

    /// The search's parameters as the request gave them (without the page's `before`).
    static func searchParameters(_ request: Request) -> [(String, String)] {
        Self.searchFields.compactMap { name in request.query(name).map { (name, $0) } }
    }

    /// `path` with `parameters` as its query.
    static func href(_ path: String, _ parameters: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        components.queryItems = parameters.isEmpty ? nil : parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.string ?? path
    }

    static func row(_ event: AuditEvent) -> EventRow {
        // Unnamed objects (taps, grants) go by the start of their id, as people quote them.
        let object = [event.objectType, event.objectName ?? event.objectId.map { String($0.prefix(8)) }].compactMap { $0 }.joined(separator: " ")
        return EventRow(
            sequence: event.sequence, time: DisplayFormat.time(event.time), actor: event.actor, action: event.action, object: object,
            tapHref: event.objectType == ResourceKind.tap.rawValue ? event.objectId.map { "/taps/\($0)" } : nil,
            tenant: event.tenant ?? "–", details: AuditCSV.details(event.details))
    }
}
