import TapsterCore

/// A Neutron tap service: a `port` target, which delivers into the port `port_id`.
/// Its id is the target's; its name is the target's `neutron.name` annotation (or, for a
/// target made through the native API, the target's name).
struct NeutronTapService: NeutronListable, Equatable {
    let id: String
    let tenantId: String
    let name: String
    let description: String
    let portId: String
    let status: String

    init(_ target: Target) {
        id = target.id
        tenantId = target.tenant ?? ""
        name = target.annotations?[NeutronAnnotation.name] ?? target.name
        description = target.description ?? ""
        portId = target.portId ?? ""
        status = "ACTIVE"
    }

    var fields: [(name: String, value: NeutronFieldValue)] {
        [("id", .text(id))] + Self.tenantFields(tenantId) + [
            ("name", .text(name)), ("description", .text(description)), ("port_id", .text(portId)), ("status", .text(status)),
        ]
    }
}

/// `POST /v2.0/taas/tap_services`: `{"tap_service": {"port_id", "name"?, "description"?, "tenant_id"?}}`.
/// `network_id` and other fields are ignored.
struct NeutronTapServiceCreate: Decodable, Sendable {
    var common: NeutronCommonFields
    var portId: String?

    private enum CodingKeys: String, CodingKey { case portId = "port_id" }

    init(from decoder: any Decoder) throws {
        common = try NeutronCommonFields(from: decoder)
        portId = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .portId)
    }
}
