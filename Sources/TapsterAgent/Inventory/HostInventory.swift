import TapsterCore
import TapsterWire

/// Everything this agent reports as tappable on its host: the result of one ``InventoryScanner`` scan.
/// Two scans of an unchanged host are equal.
public struct HostInventory: Sendable, Hashable {
    /// Host interfaces first, then namespaces, each sorted by name.
    public var workloads: [DiscoveredWorkload]

    /// An inventory of `workloads`, put in the inventory order.
    public init(workloads: [DiscoveredWorkload]) {
        self.workloads = workloads.sorted(by: DiscoveredWorkload.inventoryOrder)
    }

    /// The workload called `name`, if there is one.
    public func workload(named name: String) -> DiscoveredWorkload? {
        workloads.first { $0.name == name }
    }

    /// The `Inventory` message the agent sends the server.
    public var wireInventory: Tapster_Agent_V1_Inventory {
        var inventory = Tapster_Agent_V1_Inventory()
        inventory.workloads = workloads.map { workload in
            var report = Tapster_Agent_V1_WorkloadReport()
            report.name = workload.name
            report.kind = workload.kind.rawValue
            report.netns = workload.netns
            report.labels = workload.labels
            report.interfaces = workload.interfaces.map { interface in
                var interfaceReport = Tapster_Agent_V1_InterfaceReport()
                interfaceReport.name = interface.name
                interfaceReport.mac = interface.mac ?? ""
                interfaceReport.ips = interface.ips
                return interfaceReport
            }
            if let platform = workload.platform { report.platform = platform.wireReport }
            return report
        }
        return inventory
    }
}

extension PlatformIdentity {
    /// The `PlatformReport` of a workload's report.
    var wireReport: Tapster_Agent_V1_PlatformReport {
        var report = Tapster_Agent_V1_PlatformReport()
        report.runtime = runtime
        report.namespace = namespace
        report.uid = uid
        report.image = image
        report.hostNetwork = hostNetwork
        return report
    }
}
