import Hummingbird

/// A Neutron object as the API shows it: encodable, and filterable by the query fields of a
/// list request (`GET /v2.0/ports?name=web-1/eth0`).
protocol NeutronListable: Encodable, Sendable {
    /// The fields a list may be filtered by, as strings.
    var filterable: [String: String] { get }
}

extension Array where Element: NeutronListable {
    /// The elements matching every query field that names one of their ``NeutronListable/filterable``
    /// fields (several values of one field: any of them). Other query fields (`fields`, `limit`,
    /// `device_owner`, …) are ignored.
    func filtered(by request: Request) -> [Element] {
        let query = request.uri.queryParameters
        return filter { item in
            let fields = item.filterable
            for (name, value) in fields {
                let wanted = query.getAll(name)
                if !wanted.isEmpty, !wanted.contains(value) { return false }
            }
            return true
        }
    }
}
