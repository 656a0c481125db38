import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// `/admin/filters`: which traffic may be tapped, with a preview of what a filter selects
/// ("matches N workloads on M hosts", listing them) before it is saved, and `/admin/filters/{ref}`.
///
/// The preview is a submit button (no JavaScript needed); `portal.js` also asks
/// `POST /admin/filters/preview` as the admin types and shows the answer in place.
struct FilterPages {
    let portal: Portal

    /// A filter as the list shows it.
    struct FilterRow: Sendable {
        let name: String
        let selector: String
        let peerSelector: String
        let traffic: String
        let direction: String
        let tenant: String
        let matches: String
    }

    /// What a preview shows.
    struct Preview: Sendable {
        let summary: String
        let workloads: [WorkloadRow]
    }

    /// What the `filters` template shows.
    struct Content: Sendable {
        let filters: [FilterRow]
        let create: FormView?
        /// Admins see the create form and delete buttons; auditors only read.
        let canEdit: Bool
        let preview: Preview?
        let actionError: String?
    }

    /// What the `filter` template shows.
    struct DetailContent: Sendable {
        let filter: FilterRow
        let description: String
        let preview: Preview
    }

    static let fields = ["name", "description", "tenant", "selector", "peer_selector", "bpf", "direction"]

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.register(area)
        routes.action("admin/filters", roles: [.admin]) { request, form in
            do {
                let spec = try form.decode(FilterSpec.self, fields: Self.fields)
                if form["intent"] == "preview" {
                    let preview = try await portal.catalog.previewFilter(request.principal, spec)
                    return try await page(request, submitted: form, preview: Self.preview(preview), failure: nil)
                }
                let view = try await portal.catalog.createFilter(request.principal, spec)
                return portal.redirect(to: "/admin/filters",
                                       notice: "Filter \(view.filter.name) created; it matches \(Self.summary(view.matches.workloads, view.matches.hosts)).",
                                       request: request.request)
            } catch let error as TapsterError {
                return try await page(request, submitted: form, preview: nil, failure: .create(error))
            }
        }
        routes.page("admin/filters/{ref}", roles: PortalRoutes.console) { request in
            let view = try await portal.catalog.filter(request.principal, try request.parameter("ref"))
            let workloads = try await portal.catalog.filterWorkloads(request.principal, view.filter.id)
            let content = DetailContent(filter: Self.row(view), description: view.filter.description ?? "",
                                        preview: Preview(summary: Self.summary(view.matches.workloads, view.matches.hosts), workloads: workloads.map(WorkloadRow.init)))
            return portal.render("filter", title: "Filter \(view.filter.name)", content: content, request: request.request, visitor: request.visitor)
        }
        // The live preview: the form as typed in, the preview (or the API's error) as JSON.
        routes.router.post("admin/filters/preview") { request, context in
            guard let visitor = try await portal.visitor(of: request) else { throw TapsterError(.unauthenticated, "the portal session has ended") }
            guard !visitor.user.mustChangePassword else {
                throw TapsterError(.passwordChangeRequired, "change your one-time password first")
            }
            let form = try await PortalForm.read(request, context: context)
            guard CSRF.isValid(form[CSRF.field], secret: PortalCookies.value(PortalCookies.session, in: request) ?? "") else {
                throw TapsterError.forbidden("the form's CSRF token is missing or wrong")
            }
            let preview = try await portal.catalog.previewFilter(visitor.principal, try form.decode(FilterSpec.self, fields: Self.fields))
            return try JSONCoding.response(preview)
        }
    }

    private var area: ConsoleArea {
        ConsoleArea(path: "admin/filters", noun: "Filter",
                    render: { request, submitted, failure in try await page(request, submitted: submitted, preview: nil, failure: failure) },
                    create: nil,
                    delete: { [portal] p, reference in try await portal.catalog.deleteFilter(p, reference) })
    }

    private func page(_ request: PortalRequest, submitted: PortalForm?, preview: Preview?, failure: ConsoleFailure?) async throws -> Response {
        let filters = try await portal.catalog.listFilters(request.principal).sorted { $0.filter.name < $1.filter.name }
        var form: FormView?
        if request.principal.isAdmin {
            let tenants = try await portal.catalog.listTenants(request.principal).map(\.name).sorted()
            var view = FormView(action: "/admin/filters", submit: "Create filter", fields: [
                FormField("name", "Name", hint: "Lower-case letters, digits, dashes, dots and underscores, e.g. web-to-db.", required: true),
                FormField("selector", "Workloads (label selector)", hint: "Which workloads to tap, e.g. app=web,env in (prod,staging).", required: true),
                FormField("peer_selector", "Peers (optional label selector)", hint: "Only traffic with these workloads, e.g. app=db."),
                FormField("bpf", "BPF expression (optional)", kind: .textarea, hint: "libpcap syntax, e.g. tcp port 5432."),
                FormField("direction", "Direction", kind: .select, value: "both",
                          options: Direction.allCases.map { FormOption(value: $0.rawValue, label: $0.rawValue) }),
                FormField("tenant", "Tenant", kind: .select,
                          options: [FormOption(value: "", label: "Shared (granted to anyone)")] + tenants.map { FormOption(value: $0, label: $0) }),
                FormField("description", "Description (optional)"),
            ])
            view.previewButton = "Preview matches"
            if let submitted { view = view.filled(from: submitted) }
            if let error = failure?.createError { view = view.failed(error) }
            form = view
        }
        let content = Content(filters: filters.map(Self.row), create: form, canEdit: form != nil, preview: preview, actionError: failure?.deleteError)
        return portal.render("filters", title: "Filters", content: content, request: request.request, visitor: request.visitor,
                             status: failure?.status ?? .ok)
    }

    static func row(_ view: FilterView) -> FilterRow {
        FilterRow(name: view.filter.name, selector: view.filter.selector.description, peerSelector: view.filter.peerSelector?.description ?? "–",
                  traffic: (try? view.filter.spec.trafficExpression()).flatMap { $0 } ?? "all traffic",
                  direction: view.filter.effectiveDirection.rawValue, tenant: view.filter.tenant ?? "shared",
                  matches: summary(view.matches.workloads, view.matches.hosts))
    }

    static func preview(_ preview: FilterPreview) -> Preview {
        Preview(summary: summary(preview.workloads, preview.hosts), workloads: preview.items.map(WorkloadRow.init))
    }

    /// `3 workloads on 2 hosts`.
    static func summary(_ workloads: Int, _ hosts: Int) -> String {
        "\(workloads) workload\(workloads == 1 ? "" : "s") on \(hosts) host\(hosts == 1 ? "" : "s")"
    }
}
