import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// The owner's self-service: `/taps` ("Enable a tap" and "My taps"), `/taps/{id}` with per-host
/// counters, and the stop and re-activate buttons (which admins use too, as force-stop).
struct TapPages {
    let portal: Portal

    /// A grant as the owner's page lists it.
    struct GrantRow: Sendable {
        let filter: String
        let target: String
        let maxDuration: String
    }

    /// What the `taps` template shows.
    struct MyTapsContent: Sendable {
        let enable: FormView?
        let grants: [GrantRow]
        let table: TapTable
    }

    /// What the `tap` template shows.
    struct TapContent: Sendable {
        let tap: TapRow
        let stop: FormView
        let reactivate: FormView
        let actionError: String?
        /// Auditors see no buttons.
        let canAct: Bool
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("taps") { request in
            guard request.visitor.user.role == .owner else { return Response.redirect(to: "/admin/taps") }
            return try await myTaps(request, form: PortalForm(), error: nil)
        }
        routes.action("taps", roles: [.owner]) { request, form in
            do {
                let tapRequest = try form.decode(TapRequest.self, fields: ["filter", "target", "duration", "tenant", "description"])
                let view = try await portal.tapCreation.createTap(request.principal, tapRequest)
                let notice = (["Tap enabled: \(view.tap.filter) → \(view.tap.target) for \(DisplayFormat.duration(seconds: view.tap.duration.seconds))."]
                    + view.warnings).joined(separator: " ")
                return portal.redirect(to: "/taps/\(view.tap.id)", notice: notice, request: request.request)
            } catch let error as TapsterError {
                return try await myTaps(request, form: form, error: error)
            }
        }
        routes.page("taps/{id}") { request in
            try await tapPage(request, try request.parameter("id"), form: PortalForm(), error: nil)
        }
        routes.action("taps/{id}/stop") { request, form in
            let id = try request.parameter("id")
            do {
                let tap = try await portal.taps.stopTap(request.principal, id)
                return portal.redirect(to: SessionPages.safeNext(form["return_to"]) ?? "/taps/\(id)",
                                       notice: "Tap \(tap.filter) → \(tap.target) stopped.", request: request.request)
            } catch let error as TapsterError where error.code != .notFound {
                return try await tapPage(request, id, form: form, error: error)
            }
        }
        routes.action("taps/{id}/reactivate") { request, form in
            let id = try request.parameter("id")
            do {
                let reactivate = try form.decode(ReactivateRequest.self, fields: ["duration"])
                let view = try await portal.taps.reactivateTap(request.principal, id, reactivate)
                return portal.redirect(to: "/taps/\(view.tap.id)", notice: (["Tap re-activated for \(DisplayFormat.duration(seconds: view.tap.duration.seconds))."]
                    + view.warnings).joined(separator: " "), request: request.request)
            } catch let error as TapsterError where error.code != .notFound {
                return try await tapPage(request, id, form: form, error: error)
            }
        }
    }

    /// `/taps`: the enable form (only what is granted to this owner) and the owner's taps.
    private func myTaps(_ request: PortalRequest, form: PortalForm, error: TapsterError?) async throws -> Response {
        let p = request.principal
        let grants = try await portal.catalog.listGrants(p)
        let filters = Dictionary(try await portal.catalog.listFilters(p).map { ($0.filter.name, $0) }, uniquingKeysWith: { a, _ in a })
        let targets = Dictionary(try await portal.catalog.listTargets(p).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var enable: FormView?
        if let cap = grants.map(\.maxDuration).max() {
            let filterOptions = Set(grants.map(\.filter)).sorted().map { name in
                FormOption(value: name, label: filters[name].map { "\(name) — matches \($0.matches.workloads) workload(s) on \($0.matches.hosts) host(s)" } ?? name)
            }
            let targetOptions = Set(grants.map(\.target)).sorted().map { name in
                FormOption(value: name, label: targets[name].map { "\(name) — \(Self.summary(of: $0.spec))" } ?? name)
            }
            var fields = [
                FormField("filter", "Filter: what to tap", kind: .select, options: [FormOption(value: "", label: "Choose a filter")] + filterOptions, required: true),
                FormField("target", "Target: where the traffic goes", kind: .select, options: [FormOption(value: "", label: "Choose a target")] + targetOptions, required: true),
                FormField("duration", "Duration", kind: .select, value: "10m",
                          hint: "The tap stops by itself after this long; your grants allow at most \(DisplayFormat.duration(seconds: cap.seconds)).",
                          options: TapDurations.options(upTo: cap), required: true),
            ]
            if p.tenants.count > 1 {
                fields.append(FormField("tenant", "Tenant", kind: .select,
                                        options: [FormOption(value: "", label: "Decided by the grant")] + p.tenants.sorted().map { FormOption(value: $0, label: $0) }))
            }
            fields.append(FormField("description", "Note (optional)", hint: "Why you need the traffic; it goes into the audit log."))
            var view = FormView(action: "/taps", submit: "Enable tap", fields: fields)
            if !form.fields.isEmpty { view = view.filled(from: form) }
            if let error { view = view.failed(error) }
            enable = view
        }
        let (rows, omitted) = try await portal.tapRows(p, try await portal.taps.listTaps(p), endedLimit: 25, returnTo: "/taps")
        let content = MyTapsContent(
            enable: enable,
            grants: grants.sorted { ($0.filter, $0.target) < ($1.filter, $1.target) }.map {
                GrantRow(filter: $0.filter, target: $0.target, maxDuration: DisplayFormat.duration(seconds: $0.maxDuration.seconds))
            },
            table: TapTable(taps: rows, omitted: omitted, canAct: true, canReactivate: true, stopLabel: "Stop"))
        return portal.render("taps", title: "My taps", content: content, request: request.request, visitor: request.visitor,
                             status: error.map(\.httpStatus) ?? .ok)
    }

    /// `/taps/{id}`: one tap, its per-host counters, stop or re-activate.
    private func tapPage(_ request: PortalRequest, _ id: String, form: PortalForm, error: TapsterError?) async throws -> Response {
        let tap = try await portal.taps.tap(request.principal, id)
        var cap: TapDuration?
        if request.principal.role == .owner {
            cap = try await portal.catalog.listGrants(request.principal).filter { $0.filter == tap.filter && $0.target == tap.target }.map(\.maxDuration).max()
        }
        let row = TapRow(tap, now: portal.now, returnTo: "/taps/\(tap.id)")
        var reactivate = FormView(action: "/taps/\(tap.id)/reactivate", submit: "Re-activate", fields: [
            FormField("duration", "Duration", kind: .select, value: tap.duration.description, options: TapDurations.options(upTo: cap)),
        ])
        var actionError: String?
        if let error {
            if request.request.uri.path.hasSuffix("/reactivate") {
                reactivate = reactivate.filled(from: form).failed(error)
            } else {
                actionError = error.message
            }
        }
        var stop = FormView(action: "/taps/\(tap.id)/stop", submit: request.principal.isAdmin && tap.owner != request.principal.name ? "Force stop" : "Stop",
                            fields: [])
        stop.hidden = [HiddenField(name: "return_to", value: row.returnTo)]
        let content = TapContent(tap: row, stop: stop, reactivate: reactivate, actionError: actionError,
                                 canAct: request.principal.role != .auditor)
        return portal.render("tap", title: "Tap \(tap.filter) → \(tap.target)", content: content, request: request.request,
                             visitor: request.visitor, status: error.map(\.httpStatus) ?? .ok)
    }

    /// `erspan to 10.0.0.9, headers:128`.
    static func summary(of target: TargetSpec) -> String {
        var parts = [target.kind.rawValue + (target.destination.map { " to \($0)" } ?? "")]
        parts.append(target.effectivePayload == .full ? "full packets" : "headers only (\(target.effectivePayload.snaplen) bytes)")
        return parts.joined(separator: ", ")
    }
}

extension Portal {
    /// Rows for `taps`, live first then newest; at most `endedLimit` ended taps (the count of the
    /// others is returned). Each row carries its per-host status, read through ``TapService/tap(_:_:)``.
    func tapRows(_ p: Principal, _ taps: [Tap], endedLimit: Int, returnTo: String) async throws -> (rows: [TapRow], omitted: Int) {
        let sorted = taps.sorted { ($0.state.isLive ? 1 : 0, $0.createdAt) > ($1.state.isLive ? 1 : 0, $1.createdAt) }
        let live = sorted.prefix { $0.state.isLive }
        let ended = sorted.dropFirst(live.count)
        var rows: [TapRow] = []
        for tap in live + ended.prefix(endedLimit) {
            rows.append(TapRow(try await self.taps.tap(p, tap.id), now: now, returnTo: returnTo))
        }
        return (rows, max(0, ended.count - endedLimit))
    }
}
