import TapsterCore

/// A Neutron tap flow: an implicit filter selecting `source_port` (with the flow's direction
/// and VLAN filter) and the tap that sends it to the tap service's target. Its id is the tap's.
struct NeutronTapFlow: NeutronListable, Equatable {
    let id: String
    let tenantId: String
    let name: String
    let description: String
    let tapServiceId: String
    let sourcePort: String
    let direction: String
    let vlanFilter: String?
    let status: String

    init(filter: Filter, tap: Tap, serviceID: String) {
        id = tap.id
        tenantId = filter.tenant ?? ""
        name = filter.annotations?[NeutronAnnotation.name] ?? ""
        description = filter.description ?? ""
        tapServiceId = serviceID
        sourcePort = filter.ports?.first ?? ""
        direction = NeutronDirection(filter.effectiveDirection).rawValue
        vlanFilter = filter.annotations?[NeutronAnnotation.vlanFilter]
        status = NeutronStatus.of(tap.state)
    }

    var filterable: [String: String] {
        var fields = ["id": id, "tenant_id": tenantId, "project_id": tenantId, "name": name, "description": description,
                      "tap_service_id": tapServiceId, "source_port": sourcePort, "direction": direction, "status": status]
        if let vlanFilter { fields["vlan_filter"] = vlanFilter }
        return fields
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, description, direction, status
        case tenantId = "tenant_id", projectId = "project_id", tapServiceId = "tap_service_id", sourcePort = "source_port"
        case vlanFilter = "vlan_filter"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(tenantId, forKey: .tenantId)
        try c.encode(tenantId, forKey: .projectId)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(tapServiceId, forKey: .tapServiceId)
        try c.encode(sourcePort, forKey: .sourcePort)
        try c.encode(direction, forKey: .direction)
        try c.encode(vlanFilter, forKey: .vlanFilter)
        try c.encode(status, forKey: .status)
    }
}

/// `POST /v2.0/taas/tap_flows`: `{"tap_flow": {"tap_service_id", "source_port", "direction",
/// "vlan_filter"?, "name"?, "description"?, "tenant_id"?}}`.
struct NeutronTapFlowCreate: Decodable, Sendable {
    var common: NeutronCommonFields
    var tapServiceId: String?
    var sourcePort: String?
    var direction: String?
    var vlanFilter: String?

    private enum CodingKeys: String, CodingKey {
        case tapServiceId = "tap_service_id", sourcePort = "source_port", direction, vlanFilter = "vlan_filter"
    }

    init(from decoder: any Decoder) throws {
        common = try NeutronCommonFields(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tapServiceId = try c.decodeIfPresent(String.self, forKey: .tapServiceId)
        sourcePort = try c.decodeIfPresent(String.self, forKey: .sourcePort)
        direction = try c.decodeIfPresent(String.self, forKey: .direction)
        vlanFilter = try c.decodeIfPresent(String.self, forKey: .vlanFilter)
    }
}

/// The `status` of a tap flow or mirror, from its tap's state: `ACTIVE` while it runs, `DOWN`
/// once stopped or expired (or while pending), `ERROR` when it failed.
enum NeutronStatus {
    static func of(_ state: TapState) -> String {
        switch state {
        case .active: "ACTIVE"
        case .failed: "ERROR"
        case .pending, .stopped, .expired: "DOWN"
        }
    }

    /// A mirror's status from its taps': `ERROR` if any failed, `ACTIVE` if all run, `DOWN` otherwise.
    static func of(_ states: [TapState]) -> String {
        if states.contains(.failed) { return "ERROR" }
        return !states.isEmpty && states.allSatisfy { $0 == .active } ? "ACTIVE" : "DOWN"
    }
}
