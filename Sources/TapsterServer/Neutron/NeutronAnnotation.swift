import TapsterCore

/// The annotations (``Annotations``) by which native objects carry what the Neutron API shows of
/// them, and which native objects make up one Neutron object.
///
/// - a tap service is a `port` target: `neutron.name`;
/// - a tap flow is an implicit filter (`neutron.resource=tap_flow`, `neutron.id` = the flow id =
///   its tap's id, `neutron.name`, `neutron.vlan_filter`) and the tap opened with it;
/// - a tap mirror is, per direction, a target and an implicit filter (`neutron.resource=tap_mirror`,
///   `neutron.id` = the mirror id, `neutron.direction`; targets also `neutron.name`, filters
///   `neutron.tap` = their tap's id) and a tap.
enum NeutronAnnotation {
    static let name = "neutron.name"
    static let resource = "neutron.resource"
    static let id = "neutron.id"
    static let tap = "neutron.tap"
    static let direction = "neutron.direction"
    static let vlanFilter = "neutron.vlan_filter"
    /// On a tap service an owner made through the Neutron API: its tenant. Owners change and delete only
    /// tap services with this mark — never a `port` target an admin made, which shows as a tap service too.
    static let ownedByTenant = "neutron.owned_by_tenant"

    static let tapFlow = "tap_flow"
    static let tapMirror = "tap_mirror"

    /// Whether these annotations mark a part of the Neutron object `resource` (`tap_flow`, `tap_mirror`),
    /// optionally of the one with id `id`.
    static func marks(_ annotations: [String: String]?, _ resource: String, id: String? = nil) -> Bool {
        annotations?[self.resource] == resource && (id == nil || annotations?[self.id] == id)
    }

    /// The name of a native object made for a Neutron one: `<prefix>-<first 8 of its id>`, e.g. `taas-svc-3f2a9c1d`.
    static func nativeName(_ prefix: String, _ id: String, suffix: String? = nil) -> String {
        ([prefix, String(id.prefix(8))] + (suffix.map { [$0] } ?? [])).joined(separator: "-")
    }
}

/// Neutron's tap-flow and tap-mirror directions.
enum NeutronDirection: String, CaseIterable, Sendable {
    case `in` = "IN", out = "OUT", both = "BOTH"

    /// The native direction: `in`, `out`, `both`.
    var native: Direction {
        switch self {
        case .in: .in
        case .out: .out
        case .both: .both
        }
    }

    init(_ direction: Direction) {
        switch direction {
        case .in: self = .in
        case .out: self = .out
        case .both: self = .both
        }
    }

    /// Parses `IN`, `OUT` or `BOTH`; anything else is an `invalid_argument` naming `field`.
    init(parsing text: String, field: String, allowed: [NeutronDirection] = NeutronDirection.allCases) throws(TapsterError) {
        guard let value = NeutronDirection(rawValue: text), allowed.contains(value) else {
            throw TapsterError.invalid(field, "\"\(text)\" is not one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}
