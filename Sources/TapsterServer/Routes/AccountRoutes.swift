import Hummingbird
import TapsterAPI
import TapsterCore

/// `/login` (password guessing is throttled in ``IdentityService/checkPassword(name:password:source:)``), `/whoami`, `/tenants`, `/users` and their tokens.
struct AccountRoutes {
    let identity: IdentityService
    let catalog: CatalogService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.post("login") { request, context in
            let login = try await request.json(LoginRequest.self, context: context)
            return try JSONCoding.response(try await identity.login(login, source: context.remoteAddress), status: .created)
        }
        api.get("auth/providers") { _, _ in
            try JSONCoding.response(ItemList(items: identity.providers.oidc.map(\.info)))
        }
        api.endpoint(.get, "whoami") { _, _, p in try await identity.user(p, p.userID) }

        api.list("tenants") { _, _, p in try await catalog.listTenants(p) }
        api.endpoint(.post, "tenants", status: .created) { request, context, p in
            try await catalog.createTenant(p, try await request.json(TenantSpec.self, context: context))
        }
        api.endpoint(.get, "tenants/{ref}") { _, context, p in try await catalog.tenant(p, try context.parameter("ref")) }
        api.endpoint(.patch, "tenants/{ref}") { request, context, p in
            try await catalog.updateTenant(p, try context.parameter("ref"), try await request.json(TenantPatch.self, context: context))
        }
        api.noContent(.delete, "tenants/{ref}") { _, context, p in try await catalog.deleteTenant(p, try context.parameter("ref")) }

        api.list("users") { _, _, p in try await identity.listUsers(p) }
        api.endpoint(.post, "users", status: .created) { request, context, p in
            try await identity.createUser(p, try await request.json(UserCreateRequest.self, context: context))
        }
        api.endpoint(.get, "users/{ref}") { _, context, p in try await identity.user(p, try context.parameter("ref")) }
        api.endpoint(.patch, "users/{ref}") { request, context, p in
            try await identity.updateUser(p, try context.parameter("ref"), try await request.json(UserPatch.self, context: context),
                                    keepingSession: TokenAuthenticator.token(in: request))
        }
        api.noContent(.delete, "users/{ref}") { _, context, p in try await identity.deleteUser(p, try context.parameter("ref")) }

        api.list("users/{ref}/tokens") { _, context, p in try await identity.listTokens(p, user: try context.parameter("ref")) }
        api.endpoint(.post, "users/{ref}/tokens", status: .created) { request, context, p in
            try await identity.createToken(p, user: try context.parameter("ref"), try await request.json(TokenRequest.self, context: context))
        }
        api.noContent(.delete, "users/{ref}/tokens/{id}") { _, context, p in
            try await identity.deleteToken(p, user: try context.parameter("ref"), id: try context.parameter("id"))
        }
    }
}
