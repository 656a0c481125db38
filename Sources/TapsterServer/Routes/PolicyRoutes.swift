import Hummingbird
import TapsterCore

/// `/targets`, `/filters`, `/grants`: what the network team defines and hands out.
struct PolicyRoutes {
    let catalog: CatalogService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("targets") { _, _, p in try await catalog.listTargets(p) }
        api.endpoint(.post, "targets", status: .created) { request, context, p in
            try await catalog.createTarget(p, try await request.json(TargetSpec.self, context: context))
        }
        api.endpoint(.get, "targets/{ref}") { _, context, p in try await catalog.target(p, try context.parameter("ref")) }
        api.endpoint(.put, "targets/{ref}") { request, context, p in
            try await catalog.replaceTarget(p, try context.parameter("ref"), try await request.json(TargetSpec.self, context: context))
        }
        api.noContent(.delete, "targets/{ref}") { _, context, p in try await catalog.deleteTarget(p, try context.parameter("ref")) }

        api.list("filters") { _, _, p in try await catalog.listFilters(p) }
        api.endpoint(.post, "filters", status: .created) { request, context, p in
            try await catalog.createFilter(p, try await request.json(FilterSpec.self, context: context))
        }
        api.endpoint(.post, "filters/preview") { request, context, p in
            try await catalog.previewFilter(p, try await request.json(FilterSpec.self, context: context))
        }
        api.endpoint(.get, "filters/{ref}") { _, context, p in try await catalog.filter(p, try context.parameter("ref")) }
        api.list("filters/{ref}/workloads") { _, context, p in try await catalog.filterWorkloads(p, try context.parameter("ref")) }
        api.endpoint(.put, "filters/{ref}") { request, context, p in
            try await catalog.replaceFilter(p, try context.parameter("ref"), try await request.json(FilterSpec.self, context: context))
        }
        api.noContent(.delete, "filters/{ref}") { _, context, p in try await catalog.deleteFilter(p, try context.parameter("ref")) }

        api.list("grants") { _, _, p in try await catalog.listGrants(p) }
        api.endpoint(.post, "grants", status: .created) { request, context, p in
            try await catalog.createGrant(p, try await request.json(GrantSpec.self, context: context))
        }
        api.endpoint(.get, "grants/{id}") { _, context, p in try await catalog.grant(p, try context.parameter("id")) }
        api.noContent(.delete, "grants/{id}") { _, context, p in try await catalog.deleteGrant(p, try context.parameter("id")) }
    }
}
