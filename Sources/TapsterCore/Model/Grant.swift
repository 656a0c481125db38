/// What an admin writes to define a ``Grant``: a subject (one user or a whole tenant) may
/// combine one filter with one target, for at most ``maxDuration`` per tap, with or without an admin's approval.
public struct GrantSpec: Codable, Sendable, Equatable {
    /// The owner this grant is for (exactly one of ``user`` and ``tenant``).
    public var user: String?
    /// The tenant whose owners this grant is for.
    public var tenant: String?
    public var filter: String
    public var target: String
    public var maxDuration: TapDuration
    /// Whether owners' taps through this grant wait for an admin's approval; absent: as the server's
    /// ``ApprovalPolicy`` says for the target (none, unless approval for full payload is on).
    public var approval: ApprovalRequirement?

    public init(user: String? = nil, tenant: String? = nil, filter: String, target: String, maxDuration: TapDuration,
                approval: ApprovalRequirement? = nil) {
        self.user = user
        self.tenant = tenant
        self.filter = filter
        self.target = target
        self.maxDuration = maxDuration
        self.approval = approval
    }

    public func validated() throws(TapsterError) -> GrantSpec {
        switch (user, tenant) {
        case (nil, nil), (.some, .some):
            throw TapsterError.invalid("user", "name exactly one of user or tenant")
        case (let u?, nil): try ResourceName.validate(u, field: "user")
        case (nil, let t?): try ResourceName.validate(t, field: "tenant")
        }
        try ResourceName.validate(filter, field: "filter")
        try ResourceName.validate(target, field: "target")
        return self
    }

    /// Whether this grant is addressed to `principal` (directly or through one of its tenants).
    public func addresses(_ principal: Principal) -> Bool {
        if let user { return user == principal.name }
        if let tenant { return principal.tenants.contains(tenant) }
        return false
    }
}

/// Permission for an owner or tenant to tap with a filter/target pair.
public typealias Grant = Record<GrantSpec>
