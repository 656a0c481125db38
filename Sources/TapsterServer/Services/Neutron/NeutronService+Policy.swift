import TapsterCore
import TapsterStore

/// The Neutron TaaS compatibility API's operations, on the one native model (``NeutronAnnotation``
/// says which native objects make up each Neutron object). Every change is audited like its
/// native counterpart, with the detail `api=neutron`.
///
/// Neutron's policy (admin or owner) differs from the native one in one respect: an owner may
/// create a tap service (a `port` target) on a port of their own tenant, and tap flows from their
/// own ports into their own tap services, without grants — traffic goes from their workload to
/// their workload. Tap mirrors send traffic to any remote address, so only admins create them.
extension NeutronService {
    /// How long the tap of a tap flow or mirror runs. Neutron's have no end; every Tapster tap does.
    public static let neutronTapDuration = TapDuration(seconds: 24 * 3_600)
    /// Added to the details of every audit event the Neutron API causes.
    static let neutronAuditDetails = ["api": "neutron"]

    // MARK: Ports

    /// The ports (workload interfaces) the principal may see: owners', of their tenants' workloads.
    func neutronPorts(_ p: Principal) async throws -> [NeutronPort] {
        NeutronPort.all(of: try await catalog.listWorkloads(p))
    }

    func neutronPort(_ p: Principal, _ id: String) async throws -> NeutronPort {
        guard let port = try await neutronPorts(p).first(where: { $0.id == id }) else { throw NeutronFault.notFound(.port, id) }
        return port
    }

    /// The workload owning port `id`, when the principal may see it; else 404 `PortNotFound`.
    func neutronPortOwner(_ p: Principal, _ id: String, session: any StoreSession) async throws -> Workload {
        guard let workload = try await catalog.workload(owningPort: id, session: session), Policy.isVisible(tenant: workload.tenant, to: p) else {
            throw NeutronFault.notFound(.port, id)
        }
        return workload
    }

    // MARK: Policy

    /// The tenant a create acts in: the one named by `tenant_id` / `project_id` (an owner's own),
    /// else an owner's only tenant, else `fallback` (the port's or tap service's tenant).
    func neutronTenant(_ p: Principal, requested: String?, fallback: String?, session: any StoreSession) async throws -> String? {
        if let requested {
            if !Policy.isVisible(tenant: requested, to: p) {
                throw TapsterError.forbidden("tenant \"\(requested)\" is not one of yours")
            }
            try await requireTenantsExist([requested], field: "tenant_id", session: session)
            return requested
        }
        if p.role == .owner, p.tenants.count == 1 { return p.tenants.first }
        return fallback
    }

    /// Who may change or delete a Neutron object: admins, and owners of its tenant. With `ownedByTenant`
    /// (tap services, which are `port` targets an admin may also have made natively): owners only when an
    /// owner of that tenant made it through the Neutron API (``NeutronAnnotation/ownedByTenant``).
    func requireNeutronOwnership(_ p: Principal, tenant: String?, ownedByTenant: String?? = .none) throws(TapsterError) {
        switch p.role {
        case .admin: return
        case .auditor: throw TapsterError.forbidden("auditors have read-only access")
        case .owner:
            guard p.belongs(to: tenant) else { throw TapsterError.forbidden("only admins and owners of its tenant change this object") }
            if case .some(let mark) = ownedByTenant, mark == nil || mark != tenant {
                throw TapsterError.forbidden("this tap service was made by an admin; only admins change or delete it")
            }
        }
    }

    /// An owner's live taps stay within their quota, tap flows included.
    func requireTapQuota(_ p: Principal, session: any StoreSession) async throws {
        guard p.role == .owner else { return }
        let quota = try await session.findUser(p.userID)?.spec.effectiveQuota ?? UserSpec.defaultQuota
        let live = try await session.liveTapCount(ownerID: p.userID)
        guard live < quota else {
            throw TapsterError(.quotaExceeded, "you already have \(live) active taps, your quota is \(quota); delete a tap flow first")
        }
    }

    // MARK: Parts shared by tap services, flows and mirrors

    /// Inserts a target made for a Neutron object, audited as `target.created`.
    func insertNeutronTarget(_ p: Principal, id: String = Identifier.make(), _ spec: TargetSpec, session: any StoreSession) async throws -> Target {
        let spec = try spec.validated()
        let target = Target(id: id, createdAt: now, spec: spec)
        try await session.insert(target, into: .targets)
        try await audit(session, p, AuditAction.created("target"), .target, id: target.id, name: spec.name, tenant: spec.tenant,
                        details: ["kind": spec.kind.rawValue, "payload": spec.effectivePayload.description].merging(Self.neutronAuditDetails) { a, _ in a })
        return target
    }

    /// Opens the tap `id` of a tap flow or mirror direction: inserts its implicit filter and the
    /// tap into `target` for ``neutronTapDuration``, both audited. No grant is needed (see above).
    func openNeutronTap(_ p: Principal, id: String, filter spec: FilterSpec, target: Target, session: any StoreSession) async throws -> (Filter, Tap) {
        let spec = try spec.validated()
        try await filterCompiler.check(spec, allowingNames: p.role == .admin)
        let filter = Filter(createdAt: now, spec: spec)
        try await session.insert(filter, into: .filters)
        try await audit(session, p, AuditAction.created("filter"), .filter, id: filter.id, name: spec.name, tenant: spec.tenant,
                        details: CatalogService.auditDetails(spec).merging(Self.neutronAuditDetails) { a, _ in a })
        var tap = Tap(id: id, tenant: spec.tenant, owner: p.name, ownerID: p.userID, filter: spec.name, target: target.name, state: .active,
                      duration: Self.neutronTapDuration, createdAt: now)
        tap.matchedWorkloads = try await CatalogService.workloads(selectedBy: spec, for: tap, in: session).count
        try await session.insertTap(tap)
        try await audit(session, p, AuditAction.tapCreated, .tap, id: tap.id, name: nil, tenant: tap.tenant, details: [
            "filter": spec.name, "target": target.name, "duration": tap.duration.description,
            "deadline": TapsterJSON.formatTime(tap.deadline), "owner": p.name,
        ].merging(Self.neutronAuditDetails) { a, _ in a })
        return (filter, tap)
    }

    /// Stops the live ones of `taps` (audited as stopped by user or admin), then deletes the
    /// implicit `filters` (audited). The ended taps stay, as native history.
    func closeNeutronTaps(_ p: Principal, _ taps: [Tap], filters: [Filter]) async throws {
        for tap in taps where tap.state.isLive {
            do {
                try await self.taps.stopTap(p, tap.id, auditDetails: Self.neutronAuditDetails)
            } catch let error as TapsterError where error.code == .invalidState {
                // It ended meanwhile (expired): nothing to stop.
            }
        }
        try await store.transaction { session in
            for filter in filters {
                try await catalog.requireUnused(kind: "filter", name: filter.name, session: session, grants: { $0.filter == filter.name },
                                        taps: TapQuery(states: [.pending, .active], filter: filter.name))
                try await session.delete(id: filter.id, from: .filters)
                try await audit(session, p, AuditAction.deleted("filter"), .filter, id: filter.id, name: filter.name, tenant: filter.tenant,
                                details: Self.neutronAuditDetails)
            }
        }
    }

    /// Deletes targets made for a Neutron object (no grant or live tap may use them), audited.
    func deleteNeutronTargets(_ p: Principal, _ targets: [Target]) async throws {
        try await store.transaction { session in
            for target in targets {
                try await catalog.requireUnused(kind: "target", name: target.name, session: session, grants: { $0.target == target.name },
                                        taps: TapQuery(states: [.pending, .active], target: target.name))
                try await session.delete(id: target.id, from: .targets)
                try await audit(session, p, AuditAction.deleted("target"), .target, id: target.id, name: target.name, tenant: target.tenant,
                                details: Self.neutronAuditDetails)
            }
        }
    }

    /// Writes a target's new Neutron name and description, audited as `target.updated`.
    func updateNeutronTargets(_ p: Principal, _ targets: [Target], _ update: NeutronUpdate) async throws -> [Target] {
        try update.validate()
        let updated = targets.map { target in
            var target = target
            let applied = update.applied(to: target.annotations, description: target.description)
            target.spec.annotations = applied.annotations
            target.spec.description = applied.description
            target.updatedAt = now
            return target
        }
        try await store.transaction { session in
            for target in updated {
                try await session.update(target, in: .targets)
                try await audit(session, p, AuditAction.updated("target"), .target, id: target.id, name: target.name, tenant: target.tenant,
                                details: Self.neutronAuditDetails)
            }
        }
        return updated
    }
}
