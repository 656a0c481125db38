import TapsterCore

/// A workload as the filter previews and the inventory list it: a pod by its Kubernetes namespace and name.
struct WorkloadRow: Sendable {
    let host: String
    let namespace: String
    let name: String
    let kind: String
    let tenant: String
    let labels: String
    let addresses: String

    init(_ workload: Workload) {
        host = workload.host
        namespace = workload.kubernetesNamespace ?? "–"
        name = workload.nameInNamespace
        kind = workload.kind.rawValue
        tenant = workload.tenant ?? "–"
        labels = workload.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        let addresses = workload.interfaces.flatMap { i in i.ips.map { "\(i.name) \($0)" } }
        self.addresses = addresses.isEmpty ? "–" : addresses.joined(separator: ", ")
    }
}
