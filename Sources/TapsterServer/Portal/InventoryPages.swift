import Foundation
import Hummingbird
import TapsterCore

/// `/admin/inventory`: the hosts' agents and the workloads they reported (or an admin registered).
struct InventoryPages {
    let portal: Portal

    /// An agent as the inventory shows it.
    struct AgentRow: Sendable {
        let name: String
        let state: String
        let version: String
        let lastSeen: String
        let workloads: Int
    }

    /// What the `inventory` template shows.
    struct Content: Sendable {
        let agents: [AgentRow]
        let workloads: [WorkloadRow]
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/inventory", roles: PortalRoutes.console) { request in
            let workloads = try await portal.catalog.listWorkloads(request.principal).sorted { ($0.host, $0.name) < ($1.host, $1.name) }
            let agents = try await portal.fleet.listAgents(request.principal).sorted { $0.name < $1.name }.map { agent in
                AgentRow(name: agent.name, state: agent.state.rawValue, version: agent.version ?? "–",
                         lastSeen: agent.lastSeenAt.map(DisplayFormat.time) ?? "never",
                         workloads: workloads.filter { $0.host == agent.name }.count)
            }
            return portal.render("inventory", title: "Inventory", content: Content(agents: agents, workloads: workloads.map(WorkloadRow.init)),
                                 request: request.request, visitor: request.visitor)
        }
    }
}
