import Foundation
import Hummingbird
import TapsterCore

/// `/admin/grants`: which owner (or tenant) may combine which filter with which target, for how long.
struct GrantPages {
    let portal: Portal

    /// A grant as the list shows it.
    struct GrantRow: Sendable {
        let id: String
        let subject: String
        let filter: String
        let target: String
        let maxDuration: String
        let created: String
    }

    var area: ConsoleArea {
        let portal = portal
        return ConsoleArea(
            path: "admin/grants", noun: "Grant",
            render: { request, submitted, failure in
                let p = request.principal
                let grants = try await portal.catalog.listGrants(p).sorted { ($0.user ?? $0.tenant ?? "", $0.filter) < ($1.user ?? $1.tenant ?? "", $1.filter) }
                var form: FormView?
                if p.isAdmin {
                    func options(_ names: [String], none: String) -> [FormOption] {
                        [FormOption(value: "", label: none)] + names.sorted().map { FormOption(value: $0, label: $0) }
                    }
                    let owners = try await portal.identity.listUsers(p).filter { $0.role == .owner }.map(\.name)
                    var view = FormView(action: "/admin/grants", submit: "Create grant", sections: [
                        FormSection("Who (one of the two)", [
                            FormField("user", "Owner", kind: .select, options: options(owners, none: "No single owner")),
                            FormField("tenant", "Every owner of tenant", kind: .select,
                                      options: options(try await portal.catalog.listTenants(p).map(\.name), none: "No tenant")),
                        ]),
                        FormSection("What", [
                            FormField("filter", "Filter", kind: .select, options: options(try await portal.catalog.listFilters(p).map(\.filter.name), none: "Choose a filter"),
                                      required: true),
                            FormField("target", "Target", kind: .select, options: options(try await portal.catalog.listTargets(p).map(\.name), none: "Choose a target"),
                                      required: true),
                            FormField("max_duration", "Longest tap", value: "1h", hint: "e.g. 30m, 4h, 2d.", required: true),
                            FormField("approval", "Approval by another admin", kind: .select,
                                      hint: "Required: each tap waits pending until an admin other than the requester approves it.",
                                      options: options(ApprovalRequirement.allCases.map(\.rawValue), none: "As the approval policy says")),
                        ]),
                    ])
                    if let submitted { view = view.filled(from: submitted) }
                    if let error = failure?.createError { view = view.failed(error) }
                    form = view
                }
                let rows = grants.map {
                    GrantRow(id: $0.id, subject: $0.user.map { "owner \($0)" } ?? "tenant \($0.tenant ?? "?")", filter: $0.filter, target: $0.target,
                             maxDuration: DisplayFormat.duration(seconds: $0.maxDuration.seconds), created: DisplayFormat.time($0.createdAt))
                }
                return portal.render("grants", title: "Grants", content: ConsoleListing(rows: rows, create: form, canEdit: form != nil, actionError: failure?.deleteError),
                                     request: request.request, visitor: request.visitor, status: failure?.status ?? .ok)
            },
            create: { request, form in
                let spec = try form.decode(GrantSpec.self, fields: ["user", "tenant", "filter", "target", "max_duration", "approval"])
                let grant = try await portal.catalog.createGrant(request.principal, spec)
                return "of \(grant.filter) → \(grant.target) to \(grant.user ?? grant.tenant ?? "")"
            },
            delete: { p, reference in try await portal.catalog.deleteGrant(p, reference) })
    }
}
