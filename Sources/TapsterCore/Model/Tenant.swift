/// What an admin writes to define a ``Tenant``.
public struct TenantSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    /// The most bytes the tenant's stored captures may hold together (their pcapng files); nil: no bound.
    /// A stored capture that would go past it is refused, or ends (`stored_bytes_quota`) when it reaches it.
    public var storedBytesQuota: UInt64?

    public init(name: String, description: String = "", storedBytesQuota: UInt64? = nil) {
        self.name = name
        self.description = description
        self.storedBytesQuota = storedBytesQuota
    }

    private enum CodingKeys: String, CodingKey { case name, description, storedBytesQuota }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        storedBytesQuota = try c.decodeIfPresent(UInt64.self, forKey: .storedBytesQuota)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encodeIfPresent(storedBytesQuota, forKey: .storedBytesQuota)
    }

    /// Checks every field; returns the spec unchanged when valid.
    public func validated() throws(TapsterError) -> TenantSpec {
        try ResourceName.validate(name)
        try Validation.text(description, field: "description", maximum: 1024)
        return self
    }
}

/// An ownership scope — a Neutron project, a Cloud Foundry space, a Kubernetes namespace.
public typealias Tenant = Record<TenantSpec>
