/// One webhook call, as a trigger understands it whatever sent it: where it came from, what it says (for
/// the audit trail and the answer), and which workloads each of its alerts points at. Made by the payload
/// parsers at the edge (Alertmanager, Suricata EVE, generic JSON).
public struct TriggerAlert: Sendable, Equatable {
    /// Which kind of body it was.
    public enum Source: String, Sendable, Codable, CaseIterable {
        case alertmanager, suricata, generic
    }

    public var source: Source
    /// The alert's own words: alert names, signatures or the reason, joined (at most ``maximumText`` characters).
    public var text: String
    /// One per firing alert (resolved ones are left out); empty when nothing fires.
    public var selections: [AlertSelection]

    public init(source: Source, text: String, selections: [AlertSelection]) {
        self.source = source
        self.text = text.count > Self.maximumText ? String(text.prefix(Self.maximumText - 1)) + "…" : text
        self.selections = selections
    }

    public static let maximumText = 1024

    /// The workloads among `candidates` — what the trigger's filter selects — that any of the alerts points
    /// at. Never more than `candidates`: a trigger never widens its filter.
    public func workloads(among candidates: [Workload]) -> [Workload] {
        let knownKeys = Set(candidates.flatMap { $0.spec.labels.keys })
        return candidates.filter { workload in selections.contains { $0.selects(workload.spec, knownKeys: knownKeys) } }
    }

    /// Why alerts select nothing although they fired: the addresses they named that could not be read.
    public var unreadable: [String] { selections.compactMap(\.unreadable) }
}

/// What one alert says about the workloads it concerns. Every part present must hold (AND); an alert with
/// none points at every workload of the trigger's filter. An alert that names addresses none of which can be
/// read (a host name, a missing EVE address) points at nothing (``unreadable`` says why): it never widens to the
/// whole filter.
public struct AlertSelection: Sendable, Equatable {
    /// A label selector (the generic body's `selector`).
    public var selector: LabelSelector?
    /// Labels the alert carries (Alertmanager's `labels`): only those whose key some workload of the filter
    /// has are required; the rest (`alertname`, `severity`, `job`…) describe the alert, not a workload.
    public var labels: [String: String]
    /// Addresses: a workload with any of them on an interface is selected (EVE's `src_ip`/`dest_ip`,
    /// Alertmanager's `instance`, the generic body's `addresses`).
    public var addresses: Set<IPAddress>
    /// Set when the alert named the workloads it concerns by addresses that cannot be read: it selects nothing,
    /// and this says why (for the `no_match` answer and the audit trail).
    public var unreadable: String?

    public init(selector: LabelSelector? = nil, labels: [String: String] = [:], addresses: Set<IPAddress> = [], unreadable: String? = nil) {
        self.selector = selector
        self.labels = labels
        self.addresses = addresses
        self.unreadable = unreadable
    }

    /// Whether `workload` is one this alert points at; `knownKeys` are the label keys the filter's workloads have.
    public func selects(_ workload: WorkloadSpec, knownKeys: Set<String>) -> Bool {
        if unreadable != nil { return false }
        if let selector, !selector.matches(workload.labels) { return false }
        for (key, value) in labels where knownKeys.contains(key) && workload.labels[key] != value { return false }
        guard !addresses.isEmpty else { return true }
        return workload.interfaces.contains { $0.ips.contains(where: addresses.contains) }
    }
}
