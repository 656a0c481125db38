import TapsterCore
import TapsterStore

/// Neutron tap mirrors: per direction a tunnel target, an implicit filter and a tap
/// (``NeutronTapMirror``). Only admins create, change or delete them.
extension NeutronService {
    /// One tap mirror's native parts, in direction order (`IN`, then `OUT`).
    struct NeutronMirrorParts: Sendable {
        let id: String
        let targets: [Target]
        let filters: [Filter]
        let taps: [Tap]

        var view: NeutronTapMirror { NeutronTapMirror(id: id, targets: targets, filters: filters, taps: taps) }
    }

    func neutronTapMirrors(_ p: Principal) async throws -> [NeutronTapMirror] {
        try await neutronMirrorParts(visibleTo: p).map(\.view)
    }

    /// The mirror `id`, if visible; else 404 `TapMirrorNotFound`.
    func neutronMirrorParts(_ p: Principal, _ id: String) async throws -> NeutronMirrorParts {
        guard let parts = try await neutronMirrorParts(visibleTo: p, id: id).first else { throw NeutronFault.notFound(.tapMirror, id) }
        return parts
    }

    private func neutronMirrorParts(visibleTo p: Principal, id: String? = nil) async throws -> [NeutronMirrorParts] {
        func marked<Spec>(_ records: [Record<Spec>], _ annotations: (Record<Spec>) -> [String: String]?) -> [String: [Record<Spec>]] {
            Dictionary(grouping: records.filter { NeutronAnnotation.marks(annotations($0), NeutronAnnotation.tapMirror, id: id) }) {
                annotations($0)?[NeutronAnnotation.id] ?? ""
            }.mapValues { $0.sorted { (annotations($0)?[NeutronAnnotation.direction] ?? "") < (annotations($1)?[NeutronAnnotation.direction] ?? "") } }
        }
        let targets = try await catalog.listTargets(p)
        let targetsByMirror = marked(targets) { $0.annotations }
        let filtersByMirror = marked(try await store.list(.filters, tenants: nil)) { $0.annotations }
        var seen = Set<String>()
        var mirrors: [NeutronMirrorParts] = []
        for target in targets {
            guard let mirror = target.annotations?[NeutronAnnotation.id], let parts = targetsByMirror[mirror], seen.insert(mirror).inserted else { continue }
            let filters = filtersByMirror[mirror] ?? []
            var taps: [Tap] = []
            for filter in filters {
                if let tapID = filter.annotations?[NeutronAnnotation.tap], let tap = try await store.findTap(id: tapID) { taps.append(tap) }
            }
            mirrors.append(NeutronMirrorParts(id: mirror, targets: parts, filters: filters, taps: taps))
        }
        return mirrors
    }

    /// Creates a mirror of `port_id` to `remote_ip`: per direction, a target whose session id or
    /// GRE key is the direction's tunnel id (unused by other mirrors), a filter and a tap.
    func createNeutronTapMirror(_ p: Principal, _ request: NeutronTapMirrorCreate) async throws -> NeutronTapMirror {
        guard p.isAdmin else { throw TapsterError.forbidden("only admins create tap mirrors: they send traffic to any remote address") }
        let (name, description) = try request.common.validated()
        let requestedTenant = try request.common.tenant()
        let portID = try Validation.required(request.portId, field: "port_id", because: "(the port whose traffic is mirrored)")
        let (type, directions, remote) = try request.validated()
        let mirrorID = Identifier.make()
        let created = try await transaction(publishing: { created in created.taps.map { .tap(id: $0.id, .created) } }) { session in
            let workload = try await neutronPortOwner(p, portID, session: session)
            let tenant = try await neutronTenant(p, requested: requestedTenant, fallback: workload.tenant, session: session)
            guard workload.tenant == tenant else { throw NeutronFault.portNotInTenant(portID) }
            let used = Set(try await session.list(.targets, tenants: nil)
                .filter { NeutronAnnotation.marks($0.annotations, NeutronAnnotation.tapMirror) }
                .compactMap { $0.sessionId ?? $0.greKey.map(Int.init) })
            if let (_, tunnel) = directions.first(where: { used.contains($0.1) }) { throw NeutronFault.tunnelConflict(tunnel) }
            var targets: [Target] = [], filters: [Filter] = [], taps: [Tap] = []
            for (direction, tunnel) in directions {
                let nativeName = NeutronAnnotation.nativeName("taas-mir", mirrorID, suffix: direction.rawValue.lowercased())
                let marks = [NeutronAnnotation.resource: NeutronAnnotation.tapMirror, NeutronAnnotation.id: mirrorID,
                             NeutronAnnotation.direction: direction.rawValue]
                let target = try await insertNeutronTarget(p, TargetSpec(
                    name: nativeName, description: description, tenant: tenant, kind: type.targetKind, destination: remote,
                    erspanVersion: type == .erspanv1 ? 2 : nil, sessionId: type == .erspanv1 ? tunnel : nil,
                    greKey: type == .gre ? UInt32(tunnel) : nil, annotations: marks.merging([NeutronAnnotation.name: name]) { a, _ in a }),
                    session: session)
                let tapID = Identifier.make()
                let (filter, tap) = try await openNeutronTap(p, id: tapID, filter: FilterSpec(
                    name: nativeName, tenant: tenant, selector: LabelSelector(requirements: []), ports: [portID], direction: direction.native,
                    annotations: marks.merging([NeutronAnnotation.tap: tapID]) { a, _ in a }), target: target, session: session)
                targets.append(target)
                filters.append(filter)
                taps.append(tap)
            }
            return (mirror: NeutronTapMirror(id: mirrorID, targets: targets, filters: filters, taps: taps), taps: taps)
        }
        return created.mirror
    }

    func updateNeutronTapMirror(_ p: Principal, _ id: String, _ update: NeutronUpdate) async throws -> NeutronTapMirror {
        let parts = try await neutronMirrorParts(p, id)
        guard p.isAdmin else { throw TapsterError.forbidden("only admins change tap mirrors") }
        let targets = try await updateNeutronTargets(p, parts.targets, update)
        return NeutronMirrorParts(id: id, targets: targets, filters: parts.filters, taps: parts.taps).view
    }

    /// Stops the mirror's taps, deletes its filters and targets.
    func deleteNeutronTapMirror(_ p: Principal, _ id: String) async throws {
        let parts = try await neutronMirrorParts(p, id)
        guard p.isAdmin else { throw TapsterError.forbidden("only admins delete tap mirrors") }
        try await closeNeutronTaps(p, parts.taps, filters: parts.filters)
        try await deleteNeutronTargets(p, parts.targets)
    }
}
