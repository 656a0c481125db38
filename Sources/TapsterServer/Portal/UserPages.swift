import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// `/admin/users`: admins, owners and auditors, their tenants and quotas.
struct UserPages {
    let portal: Portal

    /// A user as the list shows it.
    struct UserRow: Sendable {
        let name: String
        let role: String
        let tenants: String
        let quota: String
        let mustChangePassword: Bool
        let isSelf: Bool
    }

    var area: ConsoleArea {
        let portal = portal
        return ConsoleArea(
            path: "admin/users", noun: "User",
            render: { request, submitted, failure in
                let p = request.principal
                let users = try await portal.identity.listUsers(p).sorted { $0.name < $1.name }
                var form: FormView?
                if p.isAdmin {
                    var view = FormView(action: "/admin/users", submit: "Create user", fields: [
                        FormField("name", "Name", hint: "Lower-case letters, digits, dashes, dots and underscores.", required: true, autocomplete: "off"),
                        FormField("role", "Role", kind: .select, value: "owner",
                                  options: Role.allCases.map { FormOption(value: $0.rawValue, label: $0.rawValue) }, required: true),
                        FormField("tenants", "Tenants", hint: "For owners: comma-separated tenant names, e.g. payments, shop."),
                        FormField("quota", "Quota (optional)", kind: .number, hint: "Live taps at once; \(UserSpec.defaultQuota) when empty."),
                        FormField("password", "Password", kind: .password,
                                  hint: "At least \(PasswordHasher.minimumLength) characters; leave empty for an API-only account.",
                                  autocomplete: "new-password"),
                    ])
                    if let submitted { view = view.filled(from: submitted) }
                    if let error = failure?.createError { view = view.failed(error) }
                    form = view
                }
                let rows = users.map {
                    UserRow(name: $0.name, role: $0.role.rawValue, tenants: $0.spec.tenants.isEmpty ? "all (\($0.role.rawValue))" : $0.spec.tenants.joined(separator: ", "),
                            quota: $0.role == .owner ? String($0.spec.effectiveQuota) : "–", mustChangePassword: $0.mustChangePassword, isSelf: $0.id == p.userID)
                }
                return portal.render("users", title: "Users", content: ConsoleListing(rows: rows, create: form, canEdit: form != nil, actionError: failure?.deleteError),
                                     request: request.request, visitor: request.visitor, status: failure?.status ?? .ok)
            },
            create: { request, form in
                let create = try form.decode(UserCreateRequest.self, fields: ["name", "role", "tenants", "quota", "password"],
                                             integers: ["quota"], lists: ["tenants"])
                return try await portal.identity.createUser(request.principal, create).name
            },
            delete: { p, reference in try await portal.identity.deleteUser(p, reference) })
    }
}
