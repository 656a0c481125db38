import Foundation
import Hummingbird
import TapsterCore

/// `/admin/tenants`: the ownership scopes owners belong to.
struct TenantPages {
    let portal: Portal

    /// A tenant as the list shows it.
    struct TenantRow: Sendable {
        let name: String
        let description: String
        let created: String
    }

    var area: ConsoleArea {
        let portal = portal
        return ConsoleArea(
            path: "admin/tenants", noun: "Tenant",
            render: { request, submitted, failure in
                let tenants = try await portal.catalog.listTenants(request.principal).sorted { $0.name < $1.name }
                var form: FormView?
                if request.principal.isAdmin {
                    var view = FormView(action: "/admin/tenants", submit: "Create tenant", fields: [
                        FormField("name", "Name", hint: "Lower-case letters, digits, dashes, dots and underscores, e.g. payments.", required: true),
                        FormField("description", "Description (optional)"),
                    ])
                    if let submitted { view = view.filled(from: submitted) }
                    if let error = failure?.createError { view = view.failed(error) }
                    form = view
                }
                let rows = tenants.map { TenantRow(name: $0.name, description: $0.description, created: DisplayFormat.time($0.createdAt)) }
                return portal.render("tenants", title: "Tenants", content: ConsoleListing(rows: rows, create: form, canEdit: form != nil, actionError: failure?.deleteError),
                                     request: request.request, visitor: request.visitor, status: failure?.status ?? .ok)
            },
            create: { request, form in
                try await portal.catalog.createTenant(request.principal, try form.decode(TenantSpec.self, fields: ["name", "description"])).name
            },
            delete: { p, reference in try await portal.catalog.deleteTenant(p, reference) })
    }
}
