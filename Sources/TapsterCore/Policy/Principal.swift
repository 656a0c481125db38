/// Who is acting: the authenticated user's id, name, role and tenants.
public struct Principal: Sendable, Equatable {
    public var userID: String
    public var name: String
    public var role: Role
    public var tenants: Set<String>

    public init(userID: String, name: String, role: Role, tenants: Set<String>) {
        self.userID = userID
        self.name = name
        self.role = role
        self.tenants = tenants
    }

    /// The scheduler and start-up, acting on the server's own authority.
    public static let system = Principal(userID: "", name: "system", role: .admin, tenants: [])

    public var isAdmin: Bool { role == .admin }

    /// Whether this principal's tenants include `tenant`.
    public func belongs(to tenant: String?) -> Bool {
        guard let tenant else { return false }
        return tenants.contains(tenant)
    }
}
