import HTTPTypes

/// The native API's rows. Owners of tenant B get 404 for what they may not know exists, owners of tenant
/// A 403 for what they see but may not do; auditors read, admins do.
extension MatrixRow {
    typealias E = MatrixExpectation

    /// Refused to every owner and the auditor; the admin gets `admin`.
    static func adminOnly(_ admin: Int) -> E { .api(owner: 403, withoutGrant: 403, otherTenant: 403, auditor: 403, admin: admin) }
    /// An object of tenant A: its owners and the auditor read it, tenant B does not know it.
    static let readInTenantA = E.api(owner: 200, withoutGrant: 200, otherTenant: 404, auditor: 200, admin: 200)
    /// Changing an admin-made object of tenant A.
    static func adminChangesInTenantA(_ admin: Int) -> E { .api(owner: 403, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: admin) }
    /// Acting on alice's own tap or capture.
    static func alicesOwn(_ status: Int) -> E { .api(owner: status, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: status) }
    /// Stopping a tap of tenant A: any owner of the tenant may (it only takes traffic away).
    static let stopInTenantA = E.api(owner: 200, withoutGrant: 200, otherTenant: 404, auditor: 403, admin: 200)

    static let api: [MatrixRow] = [
        // Needs no credential.
        MatrixRow(.get, "/healthz", .public(200)),
        MatrixRow(.get, "/readyz", .public(200)),
        MatrixRow(.get, "/api/v1/openapi.yaml", .public(200)),
        MatrixRow(.get, "/api/v1/openapi.json", .public(200)),
        MatrixRow(.get, "/api/v1/auth/providers", .public(200)),
        MatrixRow(.post, "/api/v1/login", .public(401)) { _, caller in
            MatrixRequest(path: "/api/v1/login", json: #"{"name": "nobody-\#(caller.rawValue)", "password": "wrong-password"}"#)
        },
        // The signed URL is the credential: without it, nothing.
        MatrixRow(.get, "/api/v1/captures/{id}/download", .public(403)) { world, _ in
            MatrixRequest(path: "/api/v1/captures/\(world.storedCapture)/download")
        },
        MatrixRow(.get, "/metrics", .console(auditor: 200, admin: 200)),

        // Account and people.
        MatrixRow(.get, "/api/v1/whoami", .api(everyone: 200)),
        MatrixRow(.get, "/api/v1/tenants", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/tenants", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/tenants", json: #"{"name": "\#(MatrixWorld.unique("t"))"}"#)
        },
        MatrixRow(.get, "/api/v1/tenants/{ref}", readInTenantA, path: "/api/v1/tenants/shop"),
        MatrixRow(.patch, "/api/v1/tenants/{ref}", adminChangesInTenantA(200), path: "/api/v1/tenants/shop", json: #"{"description": "the shop"}"#),
        MatrixRow(.delete, "/api/v1/tenants/{ref}", .api(owner: 404, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 204)) { world, _ in
            MatrixRequest(path: "/api/v1/tenants/\(try await world.tenant())")
        },
        MatrixRow(.get, "/api/v1/users", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/users", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/users", json: #"{"name": "\#(MatrixWorld.unique("u"))", "role": "owner", "tenants": ["shop"], "password": "password-123456"}"#)
        },
        MatrixRow(.get, "/api/v1/users/{ref}", .api(owner: 200, withoutGrant: 404, otherTenant: 404, auditor: 200, admin: 200), path: "/api/v1/users/alice"),
        MatrixRow(.patch, "/api/v1/users/{ref}", .api(owner: 403, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 200),
                  path: "/api/v1/users/alice", json: #"{"quota": 1000}"#),
        MatrixRow(.delete, "/api/v1/users/{ref}", .api(owner: 404, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 204)) { world, _ in
            MatrixRequest(path: "/api/v1/users/\(try await world.user())")
        },
        MatrixRow(.get, "/api/v1/users/{ref}/tokens", .api(owner: 200, withoutGrant: 404, otherTenant: 404, auditor: 200, admin: 200),
                  path: "/api/v1/users/alice/tokens"),
        MatrixRow(.post, "/api/v1/users/{ref}/tokens", .api(owner: 201, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 201)) { _, _ in
            MatrixRequest(path: "/api/v1/users/alice/tokens", json: #"{"name": "\#(MatrixWorld.unique("tok"))"}"#)
        },
        MatrixRow(.delete, "/api/v1/users/{ref}/tokens/{id}", .api(owner: 204, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 204)) { world, _ in
            MatrixRequest(path: "/api/v1/users/alice/tokens/\(try await world.aliceToken())")
        },

        // Targets, filters, grants: the network team's.
        MatrixRow(.get, "/api/v1/targets", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/targets", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/targets", json: #"{"name": "\#(MatrixWorld.unique("tg"))", "kind": "gre", "destination": "192.0.2.98"}"#)
        },
        MatrixRow(.get, "/api/v1/targets/{ref}", readInTenantA, path: "/api/v1/targets/shop-recorder"),
        MatrixRow(.put, "/api/v1/targets/{ref}", adminChangesInTenantA(200), path: "/api/v1/targets/shop-recorder",
                  json: #"{"name": "shop-recorder", "tenant": "shop", "kind": "gre", "destination": "192.0.2.30"}"#),
        MatrixRow(.delete, "/api/v1/targets/{ref}", adminChangesInTenantA(204)) { world, _ in
            MatrixRequest(path: "/api/v1/targets/\(try await world.shopTarget())")
        },
        MatrixRow(.get, "/api/v1/filters", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/filters", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/filters", json: #"{"name": "\#(MatrixWorld.unique("f"))", "tenant": "shop", "selector": "app=web"}"#)
        },
        MatrixRow(.post, "/api/v1/filters/preview", adminOnly(200),
                  json: #"{"name": "preview", "tenant": "shop", "selector": "app=web"}"#),
        MatrixRow(.get, "/api/v1/filters/{ref}", readInTenantA, path: "/api/v1/filters/web-to-db"),
        MatrixRow(.get, "/api/v1/filters/{ref}/workloads", readInTenantA, path: "/api/v1/filters/web-to-db/workloads"),
        MatrixRow(.put, "/api/v1/filters/{ref}", adminChangesInTenantA(200), path: "/api/v1/filters/web-to-db",
                  json: #"{"name": "web-to-db", "tenant": "shop", "selector": "app=web", "peer_selector": "app=db", "bpf": "tcp port 5432"}"#),
        MatrixRow(.delete, "/api/v1/filters/{ref}", adminChangesInTenantA(204)) { world, _ in
            MatrixRequest(path: "/api/v1/filters/\(try await world.shopFilter())")
        },
        MatrixRow(.get, "/api/v1/grants", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/grants", adminOnly(201)) { world, _ in
            MatrixRequest(path: "/api/v1/grants", json: #"{"user": "carol", "filter": "\#(try await world.shopFilter())", "target": "shop-recorder", "max_duration": "1h"}"#)
        },
        MatrixRow(.get, "/api/v1/grants/{id}", .api(owner: 200, withoutGrant: 404, otherTenant: 404, auditor: 200, admin: 200)) { world, _ in
            MatrixRequest(path: "/api/v1/grants/\(try await world.alicesGrant())")
        },
        MatrixRow(.delete, "/api/v1/grants/{id}", .api(owner: 404, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: 204)) { world, _ in
            MatrixRequest(path: "/api/v1/grants/\(try await world.grant())")
        },

        // Taps.
        MatrixRow(.get, "/api/v1/taps", .api(everyone: 200)),
        // Carol does not see the target: it is granted to alice only.
        MatrixRow(.post, "/api/v1/taps", .api(owner: 201, withoutGrant: 404, otherTenant: 404, auditor: 403, admin: 201),
                  json: #"{"filter": "web-to-db", "target": "wireshark-1", "duration": "10m"}"#),
        MatrixRow(.get, "/api/v1/taps/{id}", readInTenantA) { world, _ in MatrixRequest(path: "/api/v1/taps/\(try await world.aliceTap())") },
        MatrixRow(.post, "/api/v1/taps/{id}/stop", stopInTenantA) { world, _ in
            MatrixRequest(path: "/api/v1/taps/\(try await world.aliceTap())/stop")
        },
        MatrixRow(.post, "/api/v1/taps/{id}/reactivate", alicesOwn(201)) { world, _ in
            MatrixRequest(path: "/api/v1/taps/\(try await world.stoppedAliceTap())/reactivate", json: "{}")
        },

        // Captures: packets only to their owner and admins.
        MatrixRow(.get, "/api/v1/captures", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/captures", .api(owner: 201, withoutGrant: 403, otherTenant: 403, auditor: 403, admin: 201),
                  json: #"{"filter": "web-to-db", "target": "archive", "store": true, "duration": "10m"}"#),
        MatrixRow(.get, "/api/v1/captures/{id}", readInTenantA) { world, _ in MatrixRequest(path: "/api/v1/captures/\(world.storedCapture)") },
        MatrixRow(.delete, "/api/v1/captures/{id}", alicesOwn(204)) { world, _ in
            MatrixRequest(path: "/api/v1/captures/\(try await world.aliceCapture(store: true))")
        },
        MatrixRow(.post, "/api/v1/captures/{id}/download-url", alicesOwn(200)) { world, _ in
            MatrixRequest(path: "/api/v1/captures/\(world.storedCapture)/download-url")
        },
        MatrixRow(.get, "/api/v1/captures/{id}/stream", alicesOwn(200)) { world, _ in
            MatrixRequest(path: "/api/v1/captures/\(try await world.aliceCapture(seconds: 1))/stream")
        },
        // Whom else the policy lets read a capture's packets: admins decide, not the owner.
        MatrixRow(.post, "/api/v1/captures/{id}/readers", adminChangesInTenantA(200)) { world, _ in
            MatrixRequest(path: "/api/v1/captures/\(try await world.aliceCapture())/readers", json: #"{"user": "audrey"}"#)
        },
        MatrixRow(.delete, "/api/v1/captures/{id}/readers/{user}", adminChangesInTenantA(204)) { world, _ in
            let path = "/api/v1/captures/\(try await world.aliceCapture())/readers"
            let entitled = try await world.api.call(.post, path, token: world.admin, raw: #"{"user": "audrey"}"#)
            guard entitled.status == 200 else { throw UnexpectedReply(method: .post, path: path, status: entitled.status, body: entitled.text) }
            return MatrixRequest(path: "\(path)/audrey")
        },

        // Inventory and agents.
        MatrixRow(.get, "/api/v1/workloads", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/workloads", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/workloads", json: #"{"name": "\#(MatrixWorld.unique("w"))", "kind": "netns", "host": "node-1", "tenant": "shop"}"#)
        },
        MatrixRow(.get, "/api/v1/workloads/{id}", readInTenantA) { world, _ in MatrixRequest(path: "/api/v1/workloads/\(try await world.webWorkload())") },
        MatrixRow(.delete, "/api/v1/workloads/{id}", adminChangesInTenantA(204)) { world, _ in
            MatrixRequest(path: "/api/v1/workloads/\(try await world.shopWorkload())")
        },
        // Namespace mappings: admins make them; owners read those of their tenants.
        MatrixRow(.get, "/api/v1/namespace-mappings", .api(everyone: 200)),
        MatrixRow(.post, "/api/v1/namespace-mappings", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/namespace-mappings", json: #"{"pattern": "\#(MatrixWorld.unique("ns"))-*", "tenant": "shop"}"#)
        },
        MatrixRow(.get, "/api/v1/namespace-mappings/{ref}", readInTenantA) { world, _ in
            MatrixRequest(path: "/api/v1/namespace-mappings/\(try await shopMapping(world))")
        },
        MatrixRow(.delete, "/api/v1/namespace-mappings/{ref}", adminChangesInTenantA(204)) { world, _ in
            MatrixRequest(path: "/api/v1/namespace-mappings/\(try await shopMapping(world))")
        },
        MatrixRow(.get, "/api/v1/agents", .console(auditor: 200, admin: 200)),
        MatrixRow(.get, "/api/v1/agents/{ref}", .console(auditor: 404, admin: 404), path: "/api/v1/agents/node-404"),
        MatrixRow(.post, "/api/v1/agents/{ref}/revoke", adminOnly(404), path: "/api/v1/agents/node-404/revoke"),
        MatrixRow(.delete, "/api/v1/agents/{ref}", adminOnly(404), path: "/api/v1/agents/node-404"),
        MatrixRow(.get, "/api/v1/agent-tokens", .console(auditor: 200, admin: 200)),
        // Allowed to the admin, who is then told this test server runs no agent channel.
        MatrixRow(.post, "/api/v1/agent-tokens", adminOnly(503)) { _, _ in
            MatrixRequest(path: "/api/v1/agent-tokens", json: #"{"agent": "\#(MatrixWorld.unique("node"))"}"#)
        },

        // Audit.
        MatrixRow(.get, "/api/v1/audit", .api(everyone: 200)),
        MatrixRow(.get, "/api/v1/audit/verify", .console(auditor: 200, admin: 200)),
        // Flows: everyone reads, scoped to what they may see (the scope has tests of its own).
        MatrixRow(.get, "/api/v1/flows", .api(everyone: 200)),
        MatrixRow(.get, "/api/v1/flows/map", .api(everyone: 200)),
        MatrixRow(.get, "/api/v1/apis", .api(everyone: 200)),
        MatrixRow(.get, "/api/v1/apis/openapi", .api(everyone: 200)),
    ]
}
