import Hummingbird
import TapsterCore

/// `/targets`, `/filters`, `/grants`: what the network team defines and hands out.
struct PolicyRoutes {
    let controlPlane: ControlPlane

    func register(on api: RouterGroup<TapsterRequestContext>) {
        let cp = controlPlane
        api.list("targets") { _, _, p in try await cp.listTargets(p) }
        api.endpoint(.post, "targets", status: .created) { request, context, p in
            try await cp.createTarget(p, try await request.json(TargetSpec.self, context: context))
        }
        api.endpoint(.get, "targets/{ref}") { _, context, p in try await cp.target(p, try context.parameter("ref")) }
        api.endpoint(.put, "targets/{ref}") { request, context, p in
            try await cp.replaceTarget(p, try context.parameter("ref"), try await request.json(TargetSpec.self, context: context))
        }
        api.noContent(.delete, "targets/{ref}") { _, context, p in try await cp.deleteTarget(p, try context.parameter("ref")) }

        api.list("filters") { _, _, p in try await cp.listFilters(p) }
        api.endpoint(.post, "filters", status: .created) { request, context, p in
            try await cp.createFilter(p, try await request.json(FilterSpec.self, context: context))
        }
        api.endpoint(.post, "filters/preview") { request, context, p in
            try await cp.previewFilter(p, try await request.json(FilterSpec.self, context: context))
        }
        api.endpoint(.get, "filters/{ref}") { _, context, p in try await cp.filter(p, try context.parameter("ref")) }
        api.list("filters/{ref}/workloads") { _, context, p in try await cp.filterWorkloads(p, try context.parameter("ref")) }
        api.endpoint(.put, "filters/{ref}") { request, context, p in
            try await cp.replaceFilter(p, try context.parameter("ref"), try await request.json(FilterSpec.self, context: context))
        }
        api.noContent(.delete, "filters/{ref}") { _, context, p in try await cp.deleteFilter(p, try context.parameter("ref")) }

        api.list("grants") { _, _, p in try await cp.listGrants(p) }
        api.endpoint(.post, "grants", status: .created) { request, context, p in
            try await cp.createGrant(p, try await request.json(GrantSpec.self, context: context))
        }
        api.endpoint(.get, "grants/{id}") { _, context, p in try await cp.grant(p, try context.parameter("id")) }
        api.noContent(.delete, "grants/{id}") { _, context, p in try await cp.deleteGrant(p, try context.parameter("id")) }
    }
}
