import Foundation
import TapsterCore

/// A webhook body made into a ``TriggerAlert``, its kind told by its shape: an object with `alerts` is
/// Alertmanager's; an object (or array of objects) with `event_type` is Suricata EVE; an object with
/// `selector`, `addresses` or `reason` is the generic body. Anything else is refused (400).
enum AlertPayload {
    /// The largest body a webhook reads (Alertmanager's groups stay far below; a larger one is refused, 413).
    static let maximumBytes = 256 * 1024

    static func parse(_ body: Data) throws(TapsterError) -> TriggerAlert {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: body) } catch {
            throw TapsterError(.malformedJSON, "the body is not JSON; send an Alertmanager webhook, Suricata EVE alert events or {\"selector\",\"addresses\",\"reason\"}")
        }
        if let object = json as? [String: Any], object["alerts"] != nil {
            return try AlertmanagerPayload.parse(body)
        }
        if let object = json as? [String: Any], object["event_type"] != nil {
            return try SuricataEVEPayload.parse(body)
        }
        if let array = json as? [Any], !array.isEmpty, array.allSatisfy({ ($0 as? [String: Any])?["event_type"] != nil }) {
            return try SuricataEVEPayload.parse(body)
        }
        if let object = json as? [String: Any], object["selector"] != nil || object["addresses"] != nil || object["reason"] != nil {
            return try GenericAlertPayload.parse(body)
        }
        throw TapsterError(.badRequest, "the body is no alert this trigger reads: an Alertmanager webhook (alerts), "
                           + "Suricata EVE events (event_type) or {\"selector\",\"addresses\",\"reason\"}")
    }

    /// Decodes `T` with the payload's own keys (no case conversion), as 400 naming what is wrong.
    static func decode<T: Decodable>(_ type: T.Type, from body: Data, kind: String) throws(TapsterError) -> T {
        do { return try JSONDecoder().decode(type, from: body) } catch {
            throw TapsterError(.badRequest, "the body is not a valid \(kind) payload (\(Self.describe(error)))")
        }
    }

    /// An address as detection engines write it: `10.0.0.5`, `10.0.0.5:9100`, `[fd00::5]:9100`, `fd00::5`, and a
    /// link-local IPv6 with its zone (`fe80::1%eth0`, `[fe80::1%eth0]:9100`: the zone is dropped); nil for a host
    /// name (names are not resolved) or anything else — and an alert whose addresses are all nil selects nothing.
    static func address(_ text: String) -> IPAddress? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let ip = ipv6DroppingZone(text) { return ip }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1) else { return nil }
            return ipv6DroppingZone(String(text[text.index(after: text.startIndex)..<close]))
        }
        if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            return try? IPAddress(parsing: String(text[..<colon]))
        }
        return nil
    }

    /// `text` as an address, a `%zone` suffix dropped (only an IPv6 address has one).
    private static func ipv6DroppingZone(_ text: String) -> IPAddress? {
        if let ip = try? IPAddress(parsing: text) { return ip }
        guard let percent = text.firstIndex(of: "%"), text.index(after: percent) < text.endIndex,
              let ip = try? IPAddress(parsing: String(text[..<percent])), !ip.isIPv4 else { return nil }
        return ip
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let c): "missing \((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            "bad \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: "\(error)"
        }
    }
}
