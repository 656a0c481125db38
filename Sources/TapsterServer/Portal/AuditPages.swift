import Foundation
import Hummingbird
import NIOCore
import TapsterCore
import TapsterStore

/// `/admin/audit`: the audit log searched by user, tap, action and time (the API's query
/// parameters), the chain's verification status, and `/admin/audit.csv` with the same search.
struct AuditPages {
    /// How many of the matching events the page shows (newest first); the CSV has them all.
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
        let truncated: Bool
        let csvHref: String
        let chainValid: Bool
        let chainSummary: String
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/audit", roles: PortalRoutes.console) { request in
            let cp = portal.controlPlane
            var search = FormView(action: "/admin/audit", submit: "Search", fields: [
                FormField("actor", "User", hint: "Who acted, e.g. alice or system."),
                FormField("action", "Action", hint: "e.g. tap.created, or tap. for every tap event."),
                FormField("tap", "Tap id"),
                FormField("since", "Since", hint: "A time (2026-11-23T18:00:00Z) or a duration ago (1h)."),
                FormField("until", "Until"),
            ]).filled(from: PortalForm(fields: Dictionary(uniqueKeysWithValues: Self.searchFields.map { ($0, request.request.query($0) ?? "") })))
                .asSearch()
            var events: [AuditEvent] = []
            var status = HTTPResponse.Status.ok
            do {
                events = try await cp.auditEvents(request.principal, try Self.query(request.request, now: cp.now))
            } catch let error as TapsterError where error.code == .badRequest {
                search = search.failed(TapsterError(error.code, error.message, field: error.message.components(separatedBy: ":").first))
                status = .badRequest
            }
            let verification = try await cp.verifyAudit(request.principal)
            let query = request.request.uri.query.map { "?" + $0 } ?? ""
            let content = Content(
                search: search, events: events.suffix(Self.shown).reversed().map(Self.row), matched: events.count,
                truncated: events.count > Self.shown, csvHref: "/admin/audit.csv" + query,
                chainValid: verification.valid,
                chainSummary: verification.valid
                    ? "Intact: all \(verification.checked) events verified."
                    : "Broken at event \(verification.firstBrokenSequence.map(String.init) ?? "?"): \(verification.reason ?? "unknown reason") (\(verification.checked) events verified before it).")
            return portal.render("audit", title: "Audit log", content: content, request: request.request, visitor: request.visitor, status: status)
        }
        routes.page("admin/audit.csv", roles: PortalRoutes.console) { request in
            let cp = portal.controlPlane
            let events = try await cp.auditEvents(request.principal, try Self.query(request.request, now: cp.now))
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"tapster-audit.csv\"",
                .cacheControl: "no-store",
            ], body: .init(byteBuffer: ByteBuffer(string: AuditCSV.render(events))))
        }
    }

    /// The API's audit query (``AuditRoutes/query(_:now:)``), reading up to 10 000 events unless a limit is given.
    static func query(_ request: Request, now: Date) throws(TapsterError) -> AuditQuery {
        var query = try AuditRoutes.query(request, now: now)
        if request.query("limit") == nil { query.limit = 10_000 }
        return query
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
