import Hummingbird

/// One field of a Neutron object as the API shows it.
enum NeutronFieldValue: Sendable {
    /// A string (or JSON `null`); list requests may filter on it when present.
    case text(String?)
    /// Anything else (a map, a list); shown, never filtered on.
    case value(any Encodable & Sendable)
}

/// A Neutron object as the API shows it: its fields, in Neutron's spelling, from which both its
/// JSON and its list filtering (`GET /v2.0/ports?name=web-1/eth0`) derive.
protocol NeutronListable: Encodable, Sendable {
    var fields: [(name: String, value: NeutronFieldValue)] { get }
}

extension NeutronListable {
    /// `tenant_id` and its newer spelling `project_id`, which Neutron shows side by side.
    static func tenantFields(_ tenant: String) -> [(name: String, value: NeutronFieldValue)] {
        [("tenant_id", .text(tenant)), ("project_id", .text(tenant))]
    }

    /// The fields a list may be filtered by, as strings.
    var filterable: [String: String] {
        var result: [String: String] = [:]
        for (name, value) in fields {
            if case .text(let text?) = value { result[name] = text }
        }
        return result
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NeutronFieldKey.self)
        for (name, value) in fields {
            let key = NeutronFieldKey(name)
            switch value {
            case .text(let text): try container.encode(text, forKey: key)
            case .value(let value): try container.encode(value, forKey: key)
            }
        }
    }
}

/// A coding key spelled as Neutron spells the field (`binding:host_id`, `tap_service_id`).
struct NeutronFieldKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension Array where Element: NeutronListable {
    /// The elements matching every query field that names one of their ``NeutronListable/filterable``
    /// fields (several values of one field: any of them). Other query fields (`fields`, `limit`,
    /// `device_owner`, …) are ignored.
    func filtered(by request: Request) -> [Element] {
        let query = request.uri.queryParameters
        return filter { item in
            for (name, value) in item.filterable {
                let wanted = query.getAll(name)
                if !wanted.isEmpty, !wanted.contains(value) { return false }
            }
            return true
        }
    }
}
