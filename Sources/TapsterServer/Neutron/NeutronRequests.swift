import TapsterCore

/// The fields every Neutron create request may carry: display name and description, and the
/// tenant as `tenant_id` or `project_id` (a Tapster tenant name).
struct NeutronCommonFields: Decodable, Sendable {
    var name: String?
    var description: String?
    var tenantId: String?
    var projectId: String?

    private enum CodingKeys: String, CodingKey {
        case name, description, tenantId = "tenant_id", projectId = "project_id"
    }

    /// Neutron's limits: name ≤ 255, description ≤ 1024 characters.
    func validated() throws(TapsterError) -> (name: String, description: String?) {
        let name = name ?? ""
        try Validation.text(name, field: "name", maximum: 255)
        if let description { try Validation.text(description, field: "description", maximum: 1024) }
        return (name, description.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The tenant named by `tenant_id` / `project_id` (which must agree), if any.
    func tenant() throws(TapsterError) -> String? {
        let given = [tenantId, projectId].compactMap { $0 }.filter { !$0.isEmpty }
        guard Set(given).count <= 1 else { throw TapsterError.invalid("tenant_id", "tenant_id and project_id differ") }
        return given.first
    }
}

/// `PUT` on a tap service, flow or mirror: only `name` and `description` may change; any other
/// field is a 400.
struct NeutronUpdate: Decodable, Sendable {
    var name: String?
    var description: String?

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys where key.stringValue != "name" && key.stringValue != "description" {
            throw TapsterError.invalid(key.stringValue, "cannot be changed; only name and description can")
        }
        name = try c.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "name"))
        description = try c.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "description"))
    }

    func validate() throws(TapsterError) {
        _ = try NeutronCommonFields(name: name, description: description).validated()
    }

    /// The annotations and description of an object after this update.
    func applied(to annotations: [String: String]?, description current: String?) -> (annotations: [String: String], description: String?) {
        var annotations = annotations ?? [:]
        if let name { annotations[NeutronAnnotation.name] = name }
        let description = description.map { $0.isEmpty ? nil : $0 } ?? current
        return (annotations, description)
    }
}
