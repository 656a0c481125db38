import HTTPTypes

/// The Neutron TaaS API's rows, for both spellings of each collection. Owners of a tenant manage its
/// Neutron objects (no grant is needed, as in Neutron); tenant B does not know them; auditors read.
extension MatrixRow {
    /// Managing a Neutron object of tenant A, which any owner of the tenant may.
    static func manageInTenantA(_ status: Int) -> MatrixExpectation {
        .api(owner: status, withoutGrant: status, otherTenant: 404, auditor: 403, admin: status)
    }

    static let neutron: [MatrixRow] = [
        MatrixRow(.get, "/v2.0", .public(200)),
        MatrixRow(.get, "/v2.0/ports", .api(everyone: 200)),
        MatrixRow(.get, "/v2.0/ports/{id}", readInTenantA, path: "/v2.0/ports/\(MatrixWorld.shopAppPort)"),
    ] + ["tap_services", "tap-services"].flatMap { collection in
        resource(collection, member: "tap_service", make: { try await $0.tapService() },
                 create: #"{"tap_service": {"name": "svc", "port_id": "\#(MatrixWorld.shopMonitorPort)"}}"#)
    } + ["tap_flows", "tap-flows"].flatMap { collection in
        resource(collection, member: "tap_flow", make: { try await $0.tapFlow() }, create: { world in
            #"{"tap_flow": {"name": "flow", "tap_service_id": "\#(try await world.tapService())", "source_port": "\#(MatrixWorld.shopAppPort)", "direction": "IN"}}"#
        })
    } + ["tap_mirrors", "tap-mirrors"].flatMap { collection in
        // Tap mirrors send traffic to any remote address: only admins make, change and delete them.
        resource(collection, member: "tap_mirror", make: { try await $0.tapMirror() }, create: { _ in MatrixWorld.mirrorBody() },
                 creating: adminOnly(201), changing: adminChangesInTenantA)
    }

    /// List, create, show, update and delete of one collection; `make` gives a fresh object of alice's.
    static func resource(_ collection: String, member: String, make: @escaping @Sendable (MatrixWorld) async throws -> String,
                         create: String) -> [MatrixRow] {
        resource(collection, member: member, make: make, create: { _ in create })
    }

    static func resource(_ collection: String, member: String, make: @escaping @Sendable (MatrixWorld) async throws -> String,
                         create: @escaping @Sendable (MatrixWorld) async throws -> String,
                         creating: MatrixExpectation = manageInTenantA(201),
                         changing: (Int) -> MatrixExpectation = manageInTenantA) -> [MatrixRow] {
        let base = "/v2.0/taas/\(collection)"
        return [
            MatrixRow(.get, base, .api(everyone: 200)),
            MatrixRow(.post, base, creating) { world, _ in MatrixRequest(path: base, json: try await create(world)) },
            MatrixRow(.get, base + "/{id}", readInTenantA) { world, _ in MatrixRequest(path: "\(base)/\(try await make(world))") },
            MatrixRow(.put, base + "/{id}", changing(200)) { world, _ in
                MatrixRequest(path: "\(base)/\(try await make(world))", json: #"{"\#(member)": {"name": "renamed"}}"#)
            },
            MatrixRow(.delete, base + "/{id}", changing(204)) { world, _ in MatrixRequest(path: "\(base)/\(try await make(world))") },
        ]
    }
}
