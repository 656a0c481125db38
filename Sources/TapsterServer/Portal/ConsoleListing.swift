/// What a console list page (tenants, users, grants) shows: its rows, the create form (admins
/// only) and the error of a failed delete.
struct ConsoleListing<Row: Sendable>: Sendable {
    let rows: [Row]
    let create: FormView?
    /// Admins see the create form and delete buttons; auditors only read.
    let canEdit: Bool
    let actionError: String?
}
