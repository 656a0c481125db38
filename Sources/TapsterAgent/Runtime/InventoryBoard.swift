import PacketKit
import TapsterWire

/// The latest inventory the agent has scanned, numbered so that each connection sends every change once.
actor InventoryBoard {
    private(set) var version = 0
    private(set) var inventory: Tapster_Agent_V1_Inventory?

    /// Records a new scan (the watcher only yields changes).
    func publish(_ inventory: Tapster_Agent_V1_Inventory) {
        self.inventory = inventory
        version += 1
    }

    /// The MAC of `interface` of `workload`, as last scanned.
    func mac(workload: String, interface: String) -> MACAddress? {
        inventory?.workloads.first { $0.name == workload }?.interfaces.first { $0.name == interface }
            .flatMap { MACAddress($0.mac) }
    }

    /// The inventory if it is newer than `seen`.
    func newer(than seen: Int) -> (version: Int, inventory: Tapster_Agent_V1_Inventory)? {
        guard let inventory, version != seen else { return nil }
        return (version, inventory)
    }
}
