/// One rule of a ``RoleMapping``: a person whose claim `claim` holds `value` gets `role`, and for owners
/// membership of `tenant`. Set by an admin, e.g. `groups` = `team-shop` → owner in `shop`.
public struct RoleMappingRule: Codable, Sendable, Equatable {
    /// A claim name or a dotted path into nested claims (`realm_access.roles`).
    public var claim: String
    /// The value the claim must hold (one of its values, for a list such as `groups`).
    public var value: String
    public var role: Role
    /// The tenant an owner rule makes the person a member of; none for admin and auditor rules.
    public var tenant: String?
    /// The provider whose claims the rule reads; `nil`: any (allowed only while one provider is configured,
    /// so that a second provider's users — or its admins — cannot claim the first one's groups).
    public var provider: String?

    public init(claim: String, value: String, role: Role, tenant: String? = nil, provider: String? = nil) {
        self.claim = claim
        self.value = value
        self.role = role
        self.tenant = tenant
        self.provider = provider
    }

    /// Checks that the rule can be used: a claim and a value, a tenant exactly for owner rules.
    public func validated() throws(TapsterError) -> RoleMappingRule {
        guard !claim.isEmpty else { throw TapsterError.invalid("claim", "names the claim the rule reads, e.g. groups") }
        guard !value.isEmpty else { throw TapsterError.invalid("value", "is the claim's value the rule matches, e.g. team-shop") }
        switch (role, tenant) {
        case (.owner, nil):
            throw TapsterError.invalid("tenant", "an owner rule names the tenant it makes the person a member of")
        case (.owner, let tenant?):
            try ResourceName.validate(tenant, field: "tenant")
        case (_, _?):
            throw TapsterError.invalid("tenant", "only owner rules name a tenant; \(role.rawValue)s see every tenant")
        case (_, nil):
            break
        }
        return self
    }
}

/// What a ``RoleMapping`` makes of a person's claims: one role and, for an owner, their tenants.
public struct MappedAccess: Sendable, Equatable {
    public var role: Role
    /// Sorted; empty unless ``role`` is `owner`.
    public var tenants: [String]

    public init(role: Role, tenants: [String] = []) {
        self.role = role
        self.tenants = tenants
    }
}

/// Turns an identity provider's claims into Tapster's role and tenants, the same for every way of signing in
/// (portal, bearer tokens, the CLI).
///
/// Every rule whose claim holds its value applies. The strongest role wins — `admin`, then `auditor`, then
/// `owner` — because an admin or auditor sees every tenant anyway; an owner is a member of the tenants of
/// all matching owner rules. Nothing matching means no access at all (``access(for:)`` is `nil`): a person
/// the organisation did not put in a mapped group is refused, not given a default.
public struct RoleMapping: Sendable, Equatable {
    public var rules: [RoleMappingRule]

    public init(rules: [RoleMappingRule]) {
        self.rules = rules
    }

    /// The role and tenants `claims` of `provider` earn, or `nil` when no rule matches. A rule on `email` matches
    /// only a verified address (`email_verified: true`): many providers let people type their own.
    public func access(for claims: JSONValue, provider: String) -> MappedAccess? {
        let matching = rules.filter { rule in
            guard rule.provider.map({ $0 == provider }) ?? true else { return false }
            if rule.claim == "email", claims["email_verified"] != .bool(true) { return false }
            return claims.value(atPath: rule.claim)?.strings.contains(rule.value) ?? false
        }
        if matching.contains(where: { $0.role == .admin }) { return MappedAccess(role: .admin) }
        if matching.contains(where: { $0.role == .auditor }) { return MappedAccess(role: .auditor) }
        let tenants = Set(matching.compactMap(\.tenant))
        return tenants.isEmpty ? nil : MappedAccess(role: .owner, tenants: tenants.sorted())
    }
}
