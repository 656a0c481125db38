import TapsterCore
import TapsterStore

/// Neutron tap flows: an implicit filter on the source port and the tap into the tap service's
/// target (``NeutronTapFlow``).
extension NeutronService {
    /// One tap flow's native parts.
    struct NeutronFlowParts: Sendable {
        let filter: Filter
        let tap: Tap
    }

    func neutronTapFlows(_ p: Principal) async throws -> [NeutronTapFlow] {
        let filters = try await catalog.listFilters(p).map(\.filter).filter { NeutronAnnotation.marks($0.annotations, NeutronAnnotation.tapFlow) }
        let services = Dictionary(try await store.list(.targets, tenants: nil).map { ($0.name, $0.id) }) { first, _ in first }
        var flows: [NeutronTapFlow] = []
        for part in try await neutronTapFlowParts(of: filters) {
            flows.append(NeutronTapFlow(filter: part.filter, tap: part.tap, serviceID: services[part.tap.target] ?? ""))
        }
        return flows
    }

    func neutronTapFlow(_ p: Principal, _ id: String) async throws -> NeutronTapFlow {
        let part = try await neutronTapFlowParts(p, id)
        return NeutronTapFlow(filter: part.filter, tap: part.tap, serviceID: try await store.find(part.tap.target, in: .targets)?.id ?? "")
    }

    /// The flow `id` (a tap opened with an implicit flow filter), if visible; else 404 `TapFlowNotFound`.
    func neutronTapFlowParts(_ p: Principal, _ id: String) async throws -> NeutronFlowParts {
        let tap: Tap
        do {
            tap = try await taps.visibleTap(p, id, .read)
        } catch let error as TapsterError where error.code == .notFound {
            throw NeutronFault.notFound(.tapFlow, id)
        }
        guard let filter = try await store.find(tap.filter, in: .filters),
              NeutronAnnotation.marks(filter.annotations, NeutronAnnotation.tapFlow, id: tap.id) else {
            throw NeutronFault.notFound(.tapFlow, id)
        }
        return NeutronFlowParts(filter: filter, tap: tap)
    }

    /// Every tap flow into a tap service's target.
    func neutronTapFlowParts(into target: Target) async throws -> [NeutronFlowParts] {
        let filters = try await store.list(.filters, tenants: nil).filter { NeutronAnnotation.marks($0.annotations, NeutronAnnotation.tapFlow) }
        return try await neutronTapFlowParts(of: filters).filter { $0.tap.target == target.name }
    }

    private func neutronTapFlowParts(of filters: [Filter]) async throws -> [NeutronFlowParts] {
        var parts: [NeutronFlowParts] = []
        for filter in filters {
            guard let id = filter.annotations?[NeutronAnnotation.id], let tap = try await store.findTap(id: id) else { continue }
            parts.append(NeutronFlowParts(filter: filter, tap: tap))
        }
        return parts
    }

    /// Opens a tap flow: the source port and the tap service must be of the flow's tenant. Owners'
    /// quota of live taps applies.
    func createNeutronTapFlow(_ p: Principal, _ request: NeutronTapFlowCreate) async throws -> NeutronTapFlow {
        try Policy.require(p, .create, .tap, .collection)
        let (name, description) = try request.common.validated()
        let requestedTenant = try request.common.tenant()
        let serviceID = try Validation.required(request.tapServiceId, field: "tap_service_id", because: "(the tap service traffic goes to)")
        let portID = try Validation.required(request.sourcePort, field: "source_port", because: "(the port whose traffic is tapped)")
        let direction = try NeutronDirection(
            parsing: try Validation.required(request.direction, field: "direction", because: "(IN, OUT or BOTH)"), field: "direction")
        let vlanFilter = try request.vlanFilter.map { text throws(TapsterError) in try NeutronVLANFilter(parsing: text) }
        let service = try await neutronTapServiceTarget(p, serviceID)
        let tapID = Identifier.make()
        var marks = [NeutronAnnotation.resource: NeutronAnnotation.tapFlow, NeutronAnnotation.id: tapID, NeutronAnnotation.name: name]
        marks[NeutronAnnotation.vlanFilter] = vlanFilter?.text
        let annotations = marks
        return try await taps.admissions.run {
            try await transaction(publishing: { _ in [.tap(id: tapID, .created)] }) { session in
                let workload = try await neutronPortOwner(p, portID, session: session)
                let tenant = try await neutronTenant(p, requested: requestedTenant, fallback: service.tenant, session: session)
                guard service.tenant == tenant else { throw NeutronFault.serviceNotInTenant(serviceID) }
                guard workload.tenant == tenant else { throw NeutronFault.portNotInTenant(portID) }
                try await requireTapQuota(p, session: session)
                let spec = FilterSpec(name: NeutronAnnotation.nativeName("taas-flow", tapID), description: description, tenant: tenant,
                                      selector: LabelSelector(requirements: []), ports: [portID], bpf: vlanFilter?.bpf,
                                      direction: direction.native, annotations: annotations)
                let (filter, tap) = try await openNeutronTap(p, id: tapID, filter: spec, target: service, session: session)
                return NeutronTapFlow(filter: filter, tap: tap, serviceID: service.id)
            }
        }
    }

    /// Changes a flow's name or description (kept on its filter), audited as `filter.updated`.
    func updateNeutronTapFlow(_ p: Principal, _ id: String, _ update: NeutronUpdate) async throws -> NeutronTapFlow {
        let part = try await neutronTapFlowParts(p, id)
        try requireNeutronOwnership(p, tenant: part.filter.tenant)
        try update.validate()
        var filter = part.filter
        let applied = update.applied(to: filter.annotations, description: filter.description)
        filter.spec.annotations = applied.annotations
        filter.spec.description = applied.description
        filter.updatedAt = now
        let updated = filter
        try await store.transaction { session in
            try await session.update(updated, in: .filters)
            try await audit(session, p, AuditAction.updated("filter"), .filter, id: updated.id, name: updated.name, tenant: updated.tenant,
                            details: Self.neutronAuditDetails)
        }
        return NeutronTapFlow(filter: updated, tap: part.tap, serviceID: try await store.find(part.tap.target, in: .targets)?.id ?? "")
    }

    /// Stops the flow's tap (if live) and deletes its filter; the tap stays as history.
    func deleteNeutronTapFlow(_ p: Principal, _ id: String) async throws {
        let part = try await neutronTapFlowParts(p, id)
        try requireNeutronOwnership(p, tenant: part.filter.tenant)
        try await closeNeutronTaps(p, [part.tap], filters: [part.filter])
    }
}
