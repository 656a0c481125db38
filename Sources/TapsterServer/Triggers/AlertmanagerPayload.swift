import Foundation
import TapsterCore

/// Prometheus Alertmanager's webhook body (`webhook_configs`, version 4): a group of alerts, each `firing`
/// or `resolved`, with labels and annotations. Only firing alerts select workloads: each one's labels that
/// workloads also have (e.g. `app`) must match, and address labels (``addressLabels``, `instance`'s port
/// stripped) select the workloads with that address — an alert whose address labels are none of them an IP
/// address (a host name) selects nothing. A notification with no firing alert opens nothing.
struct AlertmanagerPayload: Decodable {
    struct Alert: Decodable {
        var status: String
        var labels: [String: String]
        var annotations: [String: String]?
    }

    var version: String?
    var status: String?
    var alerts: [Alert]

    /// Labels whose value is an address of the workload concerned.
    static let addressLabels = ["instance", "address", "ip", "pod_ip", "host_ip", "src_ip", "dest_ip", "source_ip", "destination_ip"]
    /// Labels that describe the alert, never a workload, even when a workload happens to have the key.
    static let alertLabels: Set<String> = ["alertname", "severity", "job", "prometheus", "alertstate"]

    static func parse(_ body: Data) throws(TapsterError) -> TriggerAlert {
        let payload = try AlertPayload.decode(AlertmanagerPayload.self, from: body, kind: "Alertmanager")
        if let version = payload.version, version != "4" {
            throw TapsterError(.badRequest, "Alertmanager webhook version \(version) is not read; version 4 is")
        }
        let firing = payload.alerts.filter { $0.status == "firing" }
        let selections = firing.map { alert in
            var labels = alert.labels
            var addresses = Set<IPAddress>()
            var unread: [String] = []
            for key in addressLabels {
                guard let value = labels.removeValue(forKey: key) else { continue }
                if let address = AlertPayload.address(value) { addresses.insert(address) } else { unread.append("\(key) \"\(value)\"") }
            }
            for key in alertLabels { labels.removeValue(forKey: key) }
            // It named its workload by address, and none can be read: it points at nothing, never at the whole filter.
            let unreadable = addresses.isEmpty && !unread.isEmpty
                ? "alert \(alert.labels["alertname"] ?? "alert") names \(unread.joined(separator: ", ")), no IP address (host names are not resolved)"
                : nil
            return AlertSelection(labels: labels, addresses: addresses, unreadable: unreadable)
        }
        let text = firing.map { alert in
            let name = alert.labels["alertname"] ?? "alert"
            guard let summary = alert.annotations?["summary"] ?? alert.annotations?["description"] else { return name }
            return "\(name): \(summary)"
        }.joined(separator: "; ")
        return TriggerAlert(source: .alertmanager, text: text.isEmpty ? "no firing alert (\(payload.status ?? "resolved"))" : text,
                            selections: selections)
    }
}
