import TapsterCore

/// Neutron's tap-mirror types: ERSPAN v1 (what the native API calls ERSPAN type II, with the
/// tunnel id as session id) and GRE (the tunnel id as GRE key).
enum NeutronMirrorType: String, CaseIterable, Sendable {
    case erspanv1, gre

    var targetKind: TargetKind { self == .erspanv1 ? .erspan : .gre }

    /// The tunnel ids the type can carry.
    var tunnelIDs: ClosedRange<Int> { self == .erspanv1 ? 1...1023 : 0...Int(UInt32.max) }
}

/// A Neutron tap mirror: per direction (`IN`, `OUT`), a tunnel target to `remote_ip` whose
/// session id (ERSPAN) or key (GRE) is the direction's tunnel id, an implicit filter on
/// `port_id`, and a tap. Its id is its own, kept in the parts' `neutron.id` annotation.
struct NeutronTapMirror: NeutronListable, Equatable {
    let id: String
    let tenantId: String
    let name: String
    let description: String
    let portId: String
    let directions: [String: Int]
    let remoteIP: String
    let mirrorType: String
    let status: String

    /// Builds the view from the mirror's parts; `targets` and `filters` are in direction order.
    init(id: String, targets: [Target], filters: [Filter], taps: [Tap]) {
        self.id = id
        let first = targets.first
        tenantId = first?.tenant ?? ""
        name = first?.annotations?[NeutronAnnotation.name] ?? ""
        description = first?.description ?? ""
        portId = filters.first?.ports?.first ?? ""
        var directions: [String: Int] = [:]
        for target in targets {
            guard let direction = target.annotations?[NeutronAnnotation.direction] else { continue }
            directions[direction] = target.sessionId ?? target.greKey.map(Int.init)
        }
        self.directions = directions
        remoteIP = first?.destination?.description ?? ""
        mirrorType = first?.kind == .gre ? NeutronMirrorType.gre.rawValue : NeutronMirrorType.erspanv1.rawValue
        status = NeutronStatus.of(taps.map(\.state))
    }

    var fields: [(name: String, value: NeutronFieldValue)] {
        [("id", .text(id))] + Self.tenantFields(tenantId) + [
            ("name", .text(name)), ("description", .text(description)), ("port_id", .text(portId)),
            ("directions", .value(directions)), ("remote_ip", .text(remoteIP)), ("mirror_type", .text(mirrorType)),
            ("status", .text(status)),
        ]
    }
}

/// `POST /v2.0/taas/tap_mirrors`: `{"tap_mirror": {"port_id", "directions": {"IN": 101, "OUT": 102},
/// "remote_ip", "mirror_type": "erspanv1" | "gre", "name"?, "description"?, "project_id"?}}`.
struct NeutronTapMirrorCreate: Decodable, Sendable {
    var common: NeutronCommonFields
    var portId: String?
    var directions: [String: Int]?
    var remoteIP: String?
    var mirrorType: String?

    private enum CodingKeys: String, CodingKey {
        case portId = "port_id", directions, remoteIP = "remote_ip", mirrorType = "mirror_type"
    }

    init(from decoder: any Decoder) throws {
        common = try NeutronCommonFields(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        portId = try c.decodeIfPresent(String.self, forKey: .portId)
        directions = try c.decodeIfPresent([String: TunnelID].self, forKey: .directions)?.mapValues(\.value)
        remoteIP = try c.decodeIfPresent(String.self, forKey: .remoteIP)
        mirrorType = try c.decodeIfPresent(String.self, forKey: .mirrorType)
    }

    /// A tunnel id: a JSON integer, or a string of digits (what the `openstack` client sends).
    private struct TunnelID: Decodable {
        let value: Int

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let number = try? c.decode(Int.self) {
                value = number
            } else if let text = try? c.decode(String.self), let number = Int(text) {
                value = number
            } else {
                throw TapsterError.invalid("directions", "tunnel ids are integers, e.g. {\"IN\": 101}")
            }
        }
    }

    /// The mirror type, directions (in `IN`, `OUT` order) and remote address, checked; 400s name the field.
    func validated() throws(TapsterError) -> (type: NeutronMirrorType, directions: [(NeutronDirection, Int)], remote: IPAddress) {
        let typeText = try Validation.required(mirrorType, field: "mirror_type", because: "(erspanv1 or gre)")
        guard let type = NeutronMirrorType(rawValue: typeText) else {
            throw TapsterError.invalid("mirror_type", "\"\(typeText)\" is not erspanv1 or gre")
        }
        let given = try Validation.required(directions, field: "directions", because: "(e.g. {\"IN\": 101, \"OUT\": 102})")
        guard !given.isEmpty else { throw TapsterError.invalid("directions", "names IN, OUT or both") }
        var directions: [(NeutronDirection, Int)] = []
        for key in given.keys.sorted() {
            let direction = try NeutronDirection(parsing: key, field: "directions", allowed: [.in, .out])
            let tunnel = given[key]!
            guard type.tunnelIDs.contains(tunnel) else {
                throw TapsterError.invalid("directions", "tunnel id \(tunnel) of \(key) is outside \(type.tunnelIDs.lowerBound)–\(type.tunnelIDs.upperBound) for \(type.rawValue)")
            }
            directions.append((direction, tunnel))
        }
        let remoteText = try Validation.required(remoteIP, field: "remote_ip", because: "(the address mirrored traffic is sent to)")
        guard let remote = try? IPAddress(parsing: remoteText) else {
            throw TapsterError.invalid("remote_ip", "\"\(remoteText)\" is not an IP address")
        }
        return (type, directions, remote)
    }
}
