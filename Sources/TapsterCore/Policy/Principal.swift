import Foundation

/// Who is acting: the authenticated user's id, name, role and tenants, and — for the audit log — how they
/// authenticated and who they are at their identity provider.
public struct Principal: Sendable, Equatable {
    public var userID: String
    public var name: String
    public var role: Role
    public var tenants: Set<String>
    /// How this principal authenticated; `nil` for the server's own actions and for principals made from a
    /// stored user rather than a request.
    public var method: AuthenticationMethod?
    /// The person at their identity provider, for users signed in through one.
    public var identity: ExternalIdentity?
    /// When this principal joined each of ``tenants`` (``User/memberSince``). A tenant without a date here is
    /// taken as joined just now: a look-back through it reaches nothing (``TapAdmission``), the safe side.
    public var memberSince: [String: Date]

    public init(userID: String, name: String, role: Role, tenants: Set<String>, method: AuthenticationMethod? = nil,
                identity: ExternalIdentity? = nil, memberSince: [String: Date] = [:]) {
        self.userID = userID
        self.name = name
        self.role = role
        self.tenants = tenants
        self.method = method
        self.identity = identity
        self.memberSince = memberSince
    }

    /// What the audit log records besides the actor's name: `auth` (how), and for a person signed in
    /// through an identity provider `identity` (issuer#subject), `email` and `display_name`.
    public var auditDetails: [String: String] {
        var details: [String: String] = [:]
        if let method { details["auth"] = method.auditName }
        if let identity {
            details["identity"] = identity.key
            if let email = identity.email { details["email"] = email }
            if let name = identity.displayName { details["display_name"] = name }
        }
        return details
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
