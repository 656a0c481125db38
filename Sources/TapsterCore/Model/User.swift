import Foundation

/// A user's role: the network/security team (`admin`), an application owner (`owner`),
/// or a read-only reviewer of everything (`auditor`).
public enum Role: String, Codable, Sendable, CaseIterable {
    case admin, owner, auditor
}

/// What an admin writes to define a ``User``. Passwords travel separately and are never encoded.
public struct UserSpec: Codable, Sendable, Equatable {
    public var name: String
    public var role: Role
    /// Names of the tenants an owner belongs to (empty for admins and auditors).
    public var tenants: [String]
    /// Maximum number of concurrently active taps; `nil` means ``UserSpec/defaultQuota``.
    public var quota: Int?

    public static let defaultQuota = 8

    public init(name: String, role: Role, tenants: [String] = [], quota: Int? = nil) {
        self.name = name
        self.role = role
        self.tenants = tenants
        self.quota = quota
    }

    private enum CodingKeys: String, CodingKey { case name, role, tenants, quota }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        role = try c.decode(Role.self, forKey: .role)
        tenants = try c.decodeIfPresent([String].self, forKey: .tenants) ?? []
        quota = try c.decodeIfPresent(Int.self, forKey: .quota)
    }

    /// The quota in force for this user.
    public var effectiveQuota: Int { quota ?? UserSpec.defaultQuota }

    /// Names no user may take: `system` is how the server's own actions (the scheduler, start-up)
    /// appear in the audit log, so a user of that name could pass their actions off as the server's.
    public static let reservedNames: Set<String> = ["system"]

    public func validated() throws(TapsterError) -> UserSpec {
        try ResourceName.validate(name)
        if Self.reservedNames.contains(name.lowercased()) {
            throw TapsterError.invalid("name", "\"\(name)\" is reserved for the server's own actions")
        }
        for tenant in tenants { try ResourceName.validate(tenant, field: "tenants") }
        if role == .owner, tenants.isEmpty {
            throw TapsterError.invalid("tenants", "an owner belongs to at least one tenant")
        }
        if role != .owner, !tenants.isEmpty {
            throw TapsterError.invalid("tenants", "only owners belong to tenants; \(role.rawValue)s see every tenant")
        }
        if let quota, !(0...1000).contains(quota) {
            throw TapsterError.invalid("quota", "\(quota) is outside 0–1000")
        }
        var copy = self
        copy.tenants = Array(Set(tenants)).sorted()
        return copy
    }
}

/// A person or automation that calls the API: name, ``Role``, tenants, quota.
public struct User: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var spec: UserSpec
    /// Set for a first admin's one-time password: the portal forces a change before anything else.
    public var mustChangePassword: Bool
    /// A disabled user cannot sign in, and has no live taps, tokens or sessions (disabling ends them).
    public var disabled: Bool
    /// The person at their identity provider, for a user created at sign-in (OpenID Connect, Keystone); such a
    /// user has no password, and their role and tenants follow the provider's claims at each sign-in.
    public var external: ExternalIdentity?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the user joined each of their tenants (the keys are exactly `spec.tenants`): what a tenant's workloads
    /// sent before it is not theirs to see, so a capture's look-back never reaches before it
    /// (``TapAdmission/Admitted/entitledSince``). Kept by ``recordMemberships(at:)``; set by the server only.
    public private(set) var memberSince: [String: Date]

    public init(id: String = Identifier.make(), spec: UserSpec, mustChangePassword: Bool = false, disabled: Bool = false,
                external: ExternalIdentity? = nil, createdAt: Date, updatedAt: Date? = nil) {
        self.id = id
        self.spec = spec
        self.mustChangePassword = mustChangePassword
        self.disabled = disabled
        self.external = external
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.memberSince = Dictionary(spec.tenants.map { ($0, createdAt) }, uniquingKeysWith: { first, _ in first })
    }

    /// Brings ``memberSince`` in step with `spec.tenants` after a change made at `now`: a tenant the user stays in
    /// keeps its date, one they join starts at `now`, one they left is forgotten (rejoining starts again).
    public mutating func recordMemberships(at now: Date) {
        memberSince = Dictionary(spec.tenants.map { ($0, memberSince[$0] ?? now) }, uniquingKeysWith: { first, _ in first })
    }

    public var name: String { spec.name }
    public var role: Role { spec.role }

    private enum CodingKeys: String, CodingKey { case id, mustChangePassword, disabled, external, createdAt, updatedAt, memberSince }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        spec = try UserSpec(from: decoder)
        mustChangePassword = try c.decodeIfPresent(Bool.self, forKey: .mustChangePassword) ?? false
        disabled = try c.decodeIfPresent(Bool.self, forKey: .disabled) ?? false
        external = try c.decodeIfPresent(ExternalIdentity.self, forKey: .external)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        // A user stored before membership dates were kept: the last change is the latest any membership can have begun.
        let stored = try c.decodeIfPresent([String: Date].self, forKey: .memberSince) ?? [:]
        let lastChange = updatedAt
        memberSince = Dictionary(spec.tenants.map { ($0, stored[$0] ?? lastChange) }, uniquingKeysWith: { first, _ in first })
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try spec.encode(to: encoder)
        try c.encode(mustChangePassword, forKey: .mustChangePassword)
        try c.encode(disabled, forKey: .disabled)
        try c.encodeIfPresent(external, forKey: .external)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(memberSince, forKey: .memberSince)
    }

    /// The identity this user acts with in policy decisions.
    public var principal: Principal {
        Principal(userID: id, name: spec.name, role: spec.role, tenants: Set(spec.tenants), identity: external, memberSince: memberSince)
    }

    /// The identity this user acts with, authenticated by `method`.
    public func principal(authenticatedBy method: AuthenticationMethod) -> Principal {
        var principal = principal
        principal.method = method
        return principal
    }
}

/// An API token's public record. The secret is shown once, at creation; only its hash is stored.
public struct APIToken: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var userId: String
    public var name: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    /// `password_change` for a session opened with a one-time password: until the password is changed
    /// it may do nothing else. Absent for a token with its user's full rights.
    public var scope: TokenScope?

    public init(id: String = Identifier.make(), userId: String, name: String, createdAt: Date, expiresAt: Date? = nil, lastUsedAt: Date? = nil,
                scope: TokenScope? = nil) {
        self.id = id
        self.userId = userId
        self.name = name
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.scope = scope
    }
}

/// What a restricted ``APIToken`` may do.
public enum TokenScope: String, Codable, Sendable {
    /// Only change its user's password, while that password is one-time.
    case passwordChange = "password_change"
}
