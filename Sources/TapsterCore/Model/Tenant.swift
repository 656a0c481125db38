/// What an admin writes to define a ``Tenant``.
public struct TenantSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String

    public init(name: String, description: String = "") {
        self.name = name
        self.description = description
    }

    private enum CodingKeys: String, CodingKey { case name, description }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
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
