import Foundation
import SwiftProtobuf
import TapsterWire

/// The inventory one simulated host reports: `workloads` network namespaces `w0`…, each with one interface
/// (`eth0`, a MAC and an IPv4 address unique in the fleet) and labels `app=svc<k>`, except the first,
/// which is labelled `app=web` — so a filter on `app=web` selects exactly one workload per host.
public struct SimulatedHost: Sendable, Equatable {
    /// The label every host's first workload carries.
    public static let webSelector = "app=web"

    /// The host's place in the fleet (0-based): what makes its addresses unique.
    public let index: Int
    /// How many workloads it reports.
    public let workloads: Int

    public init(index: Int, workloads: Int) {
        precondition(workloads >= 1, "a host reports at least its web workload")
        self.index = index
        self.workloads = workloads
    }

    /// The inventory report, as the real agent's inventory scanner would send it.
    public var inventory: Tapster_Agent_V1_Inventory {
        .with { inventory in
            inventory.workloads = (0..<workloads).map { number in
                .with {
                    $0.name = "w\(number)"
                    $0.kind = "netns"
                    $0.netns = "w\(number)"
                    $0.labels = ["app": number == 0 ? "web" : "svc\(number)"]
                    $0.interfaces = [.with {
                        $0.name = "eth0"
                        $0.mac = mac(number)
                        $0.ips = [address(number)]
                    }]
                }
            }
        }
    }

    /// `10.a.b.c`: one address per (host, workload) for up to 2^24 of them.
    private func address(_ workload: Int) -> String {
        let serial = index * workloads + workload + 1
        return "10.\((serial >> 16) & 0xFF).\((serial >> 8) & 0xFF).\(serial & 0xFF)"
    }

    private func mac(_ workload: Int) -> String {
        let serial = index * workloads + workload + 1
        return "02:00:" + [24, 16, 8, 0].map { String(format: "%02x", (serial >> $0) & 0xFF) }.joined(separator: ":")
    }
}
