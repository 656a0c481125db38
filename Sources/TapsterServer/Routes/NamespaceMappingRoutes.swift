import Hummingbird
import TapsterCore

/// `/namespace-mappings`: which tenant the pods of each Kubernetes namespace belong to.
struct NamespaceMappingRoutes {
    let catalog: CatalogService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("namespace-mappings") { _, _, p in try await catalog.listNamespaceMappings(p) }
        api.endpoint(.post, "namespace-mappings", status: .created) { request, context, p in
            try await catalog.createNamespaceMapping(p, try await request.json(NamespaceMappingSpec.self, context: context))
        }
        api.endpoint(.get, "namespace-mappings/{ref}") { _, context, p in
            try await catalog.namespaceMapping(p, try context.parameter("ref"))
        }
        api.noContent(.delete, "namespace-mappings/{ref}") { _, context, p in
            try await catalog.deleteNamespaceMapping(p, try context.parameter("ref"))
        }
    }
}
