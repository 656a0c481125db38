import Hummingbird
import TapsterCore

/// `/workloads` and `/agents`: what runs where.
struct InventoryRoutes {
    let catalog: CatalogService
    let fleet: FleetService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("workloads") { request, _, p in
            let selector: LabelSelector?
            do { selector = try request.query("selector").map { text throws(TapsterError) in try LabelSelector(parsing: text) } } catch let error as TapsterError {
                throw TapsterError(.badRequest, error.message)
            }
            return try await catalog.listWorkloads(p, selector: selector, host: request.query("host"), namespace: request.query("namespace"))
        }
        api.endpoint(.post, "workloads", status: .created) { request, context, p in
            try await catalog.registerWorkload(p, try await request.json(WorkloadSpec.self, context: context))
        }
        api.endpoint(.get, "workloads/{id}") { _, context, p in try await catalog.workload(p, try context.parameter("id")) }
        api.noContent(.delete, "workloads/{id}") { _, context, p in try await catalog.deleteWorkload(p, try context.parameter("id")) }

        api.list("agents") { _, _, p in try await fleet.listAgents(p) }
        api.endpoint(.get, "agents/{ref}") { _, context, p in try await fleet.agent(p, try context.parameter("ref")) }
    }
}
