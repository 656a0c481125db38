/// A workload at one end of a flow, as flow listings, the map and API summaries name it.
public struct FlowPeer: Codable, Sendable, Hashable {
    public var name: String
    public var host: String
    public var tenant: String?
    public var labels: [String: String]

    public init(name: String, host: String, tenant: String?, labels: [String: String]) {
        self.name = name
        self.host = host
        self.tenant = tenant
        self.labels = labels
    }

    public init(_ workload: Workload) {
        self.init(name: workload.name, host: workload.host, tenant: workload.tenant, labels: workload.labels)
    }
}
