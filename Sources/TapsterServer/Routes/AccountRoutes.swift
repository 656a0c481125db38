import Hummingbird
import TapsterCore

/// `/login` (password guessing is throttled in ``ControlPlane/checkPassword(name:password:source:)``), `/whoami`, `/tenants`, `/users` and their tokens.
struct AccountRoutes {
    let controlPlane: ControlPlane

    func register(on api: RouterGroup<TapsterRequestContext>) {
        let cp = controlPlane
        api.post("login") { request, context in
            let login = try await request.json(LoginRequest.self, context: context)
            return try JSONCoding.response(try await cp.login(login, source: context.remoteAddress), status: .created)
        }
        api.endpoint(.get, "whoami") { _, _, p in try await cp.user(p, p.userID) }

        api.list("tenants") { _, _, p in try await cp.listTenants(p) }
        api.endpoint(.post, "tenants", status: .created) { request, context, p in
            try await cp.createTenant(p, try await request.json(TenantSpec.self, context: context))
        }
        api.endpoint(.get, "tenants/{ref}") { _, context, p in try await cp.tenant(p, try context.parameter("ref")) }
        api.endpoint(.patch, "tenants/{ref}") { request, context, p in
            try await cp.updateTenant(p, try context.parameter("ref"), try await request.json(TenantPatch.self, context: context))
        }
        api.noContent(.delete, "tenants/{ref}") { _, context, p in try await cp.deleteTenant(p, try context.parameter("ref")) }

        api.list("users") { _, _, p in try await cp.listUsers(p) }
        api.endpoint(.post, "users", status: .created) { request, context, p in
            try await cp.createUser(p, try await request.json(UserCreateRequest.self, context: context))
        }
        api.endpoint(.get, "users/{ref}") { _, context, p in try await cp.user(p, try context.parameter("ref")) }
        api.endpoint(.patch, "users/{ref}") { request, context, p in
            try await cp.updateUser(p, try context.parameter("ref"), try await request.json(UserPatch.self, context: context),
                                    keepingSession: TokenAuthenticator.token(in: request))
        }
        api.noContent(.delete, "users/{ref}") { _, context, p in try await cp.deleteUser(p, try context.parameter("ref")) }

        api.list("users/{ref}/tokens") { _, context, p in try await cp.listTokens(p, user: try context.parameter("ref")) }
        api.endpoint(.post, "users/{ref}/tokens", status: .created) { request, context, p in
            try await cp.createToken(p, user: try context.parameter("ref"), try await request.json(TokenRequest.self, context: context))
        }
        api.noContent(.delete, "users/{ref}/tokens/{id}") { _, context, p in
            try await cp.deleteToken(p, user: try context.parameter("ref"), id: try context.parameter("id"))
        }
    }
}
