import Foundation
import TapsterCore

/// Suricata's EVE JSON `alert` events (`event_type: alert`, `src_ip`, `dest_ip`, `alert.signature`), one
/// object or an array of them, as eve.json writes them line by line. Each alert event selects the workloads
/// holding its source or destination address; an event lacking either address, or with neither an IP address,
/// selects nothing. Other event types are ignored.
struct SuricataEVEPayload {
    struct Event: Decodable {
        struct Alert: Decodable {
            var signature: String?
            var signature_id: Int?
            var category: String?
        }
        var event_type: String
        var src_ip: String?
        var dest_ip: String?
        var proto: String?
        var alert: Alert?
    }

    static func parse(_ body: Data) throws(TapsterError) -> TriggerAlert {
        let events: [Event]
        if body.first(where: { !$0.isWhitespace }) == UInt8(ascii: "[") {
            events = try AlertPayload.decode([Event].self, from: body, kind: "Suricata EVE")
        } else {
            events = [try AlertPayload.decode(Event.self, from: body, kind: "Suricata EVE")]
        }
        let alerts = events.filter { $0.event_type == "alert" }
        let selections = alerts.map { event in
            let addresses = Set([event.src_ip, event.dest_ip].compactMap { $0.flatMap(AlertPayload.address) })
            // An event without both addresses, or with neither readable, points at nothing — never at the whole filter.
            let unreadable: String? = if event.src_ip == nil || event.dest_ip == nil {
                "EVE alert \(event.alert?.signature ?? "event") has no \(event.src_ip == nil ? "src_ip" : "dest_ip")"
            } else if addresses.isEmpty {
                "EVE alert \(event.alert?.signature ?? "event") has no IP address in src_ip \"\(event.src_ip ?? "")\" or dest_ip \"\(event.dest_ip ?? "")\""
            } else { nil }
            return AlertSelection(addresses: addresses, unreadable: unreadable)
        }
        let text = alerts.map { event in
            let signature = event.alert?.signature ?? "alert"
            let id = event.alert?.signature_id.map { " [sid \($0)]" } ?? ""
            return "\(signature)\(id) \(event.src_ip ?? "?") -> \(event.dest_ip ?? "?")"
        }.joined(separator: "; ")
        return TriggerAlert(source: .suricata, text: text.isEmpty ? "no alert event" : text, selections: selections)
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
