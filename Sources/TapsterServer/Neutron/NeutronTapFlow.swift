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

    var fields: [(name: String, value: NeutronFieldValue)] {
        [("id", .text(id))] + Self.tenantFields(tenantId) + [
            ("name", .text(name)), ("description", .text(description)), ("tap_service_id", .text(tapServiceId)),
            ("source_port", .text(sourcePort)), ("direction", .text(direction)), ("vlan_filter", .text(vlanFilter)),
            ("status", .text(status)),
        ]
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
/// once stopped or expired (or while pending, e.g. waiting for an admin's approval), `ERROR` when it failed or its
/// approval was rejected (it will never run).
enum NeutronStatus {
    static func of(_ state: TapState) -> String {
        switch state {
        case .active: "ACTIVE"
        case .failed, .rejected: "ERROR"
        case .pending, .stopped, .expired: "DOWN"
        }
    }

    /// A mirror's status from its taps': `ERROR` if any failed, `ACTIVE` if all run, `DOWN` otherwise.
    static func of(_ states: [TapState]) -> String {
        if states.contains(.failed) { return "ERROR" }
        return !states.isEmpty && states.allSatisfy { $0 == .active } ? "ACTIVE" : "DOWN"
    }
}
