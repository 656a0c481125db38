import TapsterCore
import TapsterStore

/// Neutron tap services: `port` targets (``NeutronTapService``).
extension NeutronService {
    func neutronTapServices(_ p: Principal) async throws -> [NeutronTapService] {
        try await catalog.listTargets(p).filter { $0.kind == .port }.map(NeutronTapService.init)
    }

    /// The `port` target with this id, if visible; else 404 `TapServiceNotFound`.
    func neutronTapServiceTarget(_ p: Principal, _ id: String) async throws -> Target {
        let found: Target
        do {
            found = try await catalog.target(p, id)
        } catch let error as TapsterError where error.code == .notFound {
            throw NeutronFault.notFound(.tapService, id)
        }
        guard found.id == id, found.kind == .port else { throw NeutronFault.notFound(.tapService, id) }
        return found
    }

    /// Creates a `port` target into `port_id`, in the caller's tenant, which must be the port's.
    func createNeutronTapService(_ p: Principal, _ request: NeutronTapServiceCreate) async throws -> NeutronTapService {
        try Policy.require(p, .create, .tap, .collection)
        let (name, description) = try request.common.validated()
        let requestedTenant = try request.common.tenant()
        let portID = try Validation.required(request.portId, field: "port_id", because: "(the port traffic is delivered into)")
        let id = Identifier.make()
        return try await store.transaction { session in
            let workload = try await neutronPortOwner(p, portID, session: session)
            let tenant = try await neutronTenant(p, requested: requestedTenant, fallback: workload.tenant, session: session)
            guard workload.tenant == tenant else { throw NeutronFault.portNotInTenant(portID) }
            var annotations = [NeutronAnnotation.name: name]
            if p.role == .owner, let tenant { annotations[NeutronAnnotation.ownedByTenant] = tenant }
            let spec = TargetSpec(name: NeutronAnnotation.nativeName("taas-svc", id), description: description, tenant: tenant,
                                  kind: .port, portId: portID, annotations: annotations)
            return NeutronTapService(try await insertNeutronTarget(p, id: id, spec, session: session))
        }
    }

    func updateNeutronTapService(_ p: Principal, _ id: String, _ update: NeutronUpdate) async throws -> NeutronTapService {
        let target = try await neutronTapServiceTarget(p, id)
        try requireNeutronOwnership(p, tenant: target.tenant, ownedByTenant: target.annotations?[NeutronAnnotation.ownedByTenant])
        return NeutronTapService(try await updateNeutronTargets(p, [target], update)[0])
    }

    /// Deletes the tap service after ending its tap flows (stopping their taps, deleting their filters).
    func deleteNeutronTapService(_ p: Principal, _ id: String) async throws {
        let target = try await neutronTapServiceTarget(p, id)
        try requireNeutronOwnership(p, tenant: target.tenant, ownedByTenant: target.annotations?[NeutronAnnotation.ownedByTenant])
        let flows = try await neutronTapFlowParts(into: target)
        try await closeNeutronTaps(p, flows.map(\.tap), filters: flows.map(\.filter))
        try await deleteNeutronTargets(p, [target])
    }
}
