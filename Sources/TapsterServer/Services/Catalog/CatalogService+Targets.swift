import TapsterCore
import TapsterStore

extension CatalogService {
    public func listTargets(_ p: Principal) async throws -> [Target] {
        try await visibleRecords(p, in: .targets, kind: .target)
    }

    public func target(_ p: Principal, _ reference: String) async throws -> Target {
        try await visibleRecord(p, reference, in: .targets, kind: .target)
    }

    public func createTarget(_ p: Principal, _ spec: TargetSpec) async throws -> Target {
        try Policy.require(p, .create, .target, .collection)
        let spec = try spec.validated()
        // Published like every other change: other replicas' agent hubs keep a model of every target.
        return try await transaction(publishing: { (target: Target) in [.target(name: target.name, .created)] }) { session in
            try await checkReferences(of: spec, session: session)
            let target = Target(createdAt: now, spec: spec)
            try await session.insert(target, into: .targets)
            try await audit(session, p, AuditAction.created("target"), .target, id: target.id, name: spec.name, tenant: spec.tenant,
                            details: ["kind": spec.kind.rawValue, "payload": spec.effectivePayload.description])
            return target
        }
    }

    /// Replaces a target's spec; its name cannot change.
    public func replaceTarget(_ p: Principal, _ reference: String, _ spec: TargetSpec) async throws -> Target {
        var target = try await target(p, reference)
        try Policy.require(p, .update, .target, .object(visible: true), reference: reference)
        guard spec.name == target.name else { throw TapsterError.invalid("name", "a target's name cannot change (\"\(target.name)\")") }
        target.spec = try spec.validated()
        target.updatedAt = now
        let updated = target
        try await transaction(publishing: { _ in [.target(name: updated.name, .updated)] }) { session in
            try await checkReferences(of: updated.spec, session: session)
            try await session.update(updated, in: .targets)
            try await audit(session, p, AuditAction.updated("target"), .target, id: updated.id, name: updated.name, tenant: updated.tenant)
        }
        return updated
    }

    public func deleteTarget(_ p: Principal, _ reference: String) async throws {
        let target = try await target(p, reference)
        try Policy.require(p, .delete, .target, .object(visible: true), reference: reference)
        try await transaction(publishing: { _ in [.target(name: target.name, .deleted)] }) { session in
            try await requireUnused(kind: "target", name: target.name, session: session,
                                    grants: { $0.target == target.name }, taps: TapQuery(states: [.pending, .active], target: target.name))
            try await session.delete(id: target.id, from: .targets)
            try await audit(session, p, AuditAction.deleted("target"), .target, id: target.id, name: target.name, tenant: target.tenant)
        }
    }

    /// A target's tenant must exist; a port target's port must be a known workload interface.
    private func checkReferences(of spec: TargetSpec, session: any StoreSession) async throws {
        if let tenant = spec.tenant { try await requireTenantsExist([tenant], field: "tenant", session: session) }
        if let port = spec.portId, try await workload(owningPort: port, session: session) == nil {
            throw TapsterError.invalid("port_id", "no known workload has an interface (port) with id \(port)")
        }
    }

    /// Throws `in_use` when grants or live taps still refer to an object.
    func requireUnused(kind: String, name: String, session: any StoreSession,
                       grants refersTo: (Grant) -> Bool, taps: TapQuery) async throws {
        let grants = try await session.list(.grants, tenants: nil).filter(refersTo)
        if !grants.isEmpty {
            throw TapsterError(.inUse, "\(kind) \"\(name)\" is used by \(grants.count) grant(s): \(grants.prefix(5).map(\.id).joined(separator: ", "))")
        }
        let live = try await session.listTaps(taps)
        if !live.isEmpty {
            throw TapsterError(.inUse, "\(kind) \"\(name)\" is used by \(live.count) live tap(s): \(live.prefix(5).map(\.id).joined(separator: ", "))")
        }
    }
}
