import Foundation
import TapsterCore

/// The generic webhook body: `{"selector": "app=web", "addresses": ["10.0.0.5"], "reason": "…"}` — a label
/// selector, addresses, or both (a workload must match both), and why. One alert.
struct GenericAlertPayload: Decodable {
    var selector: String?
    var addresses: [String]?
    var reason: String?

    static func parse(_ body: Data) throws(TapsterError) -> TriggerAlert {
        let payload = try AlertPayload.decode(GenericAlertPayload.self, from: body, kind: "generic alert")
        let selector = try payload.selector.map { text throws(TapsterError) in try LabelSelector(parsing: text) }
        var addresses = Set<IPAddress>()
        for text in payload.addresses ?? [] {
            guard let address = AlertPayload.address(text) else {
                throw TapsterError.invalid("addresses", "\"\(text)\" is not an IPv4 or IPv6 address")
            }
            addresses.insert(address)
        }
        guard selector?.isEmpty == false || !addresses.isEmpty else {
            throw TapsterError.invalid("selector", "a generic alert names the workloads it concerns: a selector, addresses, or both")
        }
        return TriggerAlert(source: .generic, text: payload.reason ?? "generic alert",
                            selections: [AlertSelection(selector: selector, addresses: addresses)])
    }
}
