import TapsterAPI
import TapsterCore
import TapsterStore

/// Flight recorders: an admin's pre-trigger window on a filter's hosts. Made, read and deleted by admins
/// (auditors read them; owners neither: a recorder names every tenant's hosts and holds their packets),
/// audited, and sent to the agents through the change feed. A recorder's change is published as
/// ``Change/everything``: recorders are few and rarely change, and every replica's agent hub then re-reads them.
public struct RecorderService: ContextualService {
    let context: ServiceContext
    /// What agents last reported of each recorder.
    let statuses: RecorderStatuses

    public func listRecorders(_ p: Principal) async throws -> [RecorderView] {
        try Policy.require(p, .read, .recorder, .collection)
        return try await store.list(.recorders, tenants: nil).sorted { $0.name < $1.name }.map(view)
    }

    public func recorder(_ p: Principal, _ reference: String) async throws -> RecorderView {
        try Policy.require(p, .read, .recorder, .object(visible: true), reference: reference)
        return view(try await existing(reference, in: .recorders, kind: .recorder))
    }

    public func createRecorder(_ p: Principal, _ spec: RecorderSpec) async throws -> RecorderView {
        try Policy.require(p, .create, .recorder, .collection)
        let spec = try spec.validated()
        let recorder = try await transaction(publishing: { (_: Recorder) in [.everything] }) { session in
            guard try await session.find(spec.filter, in: .filters) != nil else {
                throw TapsterError.invalid("filter", "filter \"\(spec.filter)\" does not exist")
            }
            let recorder = Recorder(createdAt: now, spec: spec)
            try await session.insert(recorder, into: .recorders)
            try await audit(session, p, AuditAction.created("recorder"), .recorder, id: recorder.id, name: spec.name, tenant: nil,
                            details: ["filter": spec.filter, "window": spec.window.description, "max_bytes": "\(spec.maxBytes)"])
            return recorder
        }
        return view(recorder)
    }

    public func deleteRecorder(_ p: Principal, _ reference: String) async throws {
        try Policy.require(p, .delete, .recorder, .object(visible: true), reference: reference)
        let recorder = try await existing(reference, in: .recorders, kind: .recorder)
        try await transaction(publishing: { _ in [.everything] }) { session in
            _ = try await session.delete(id: recorder.id, from: .recorders)
            try await audit(session, p, AuditAction.deleted("recorder"), .recorder, id: recorder.id, name: recorder.name, tenant: nil,
                            details: ["filter": recorder.filter])
        }
    }

    private func view(_ recorder: Recorder) -> RecorderView {
        RecorderView(recorder: recorder, hosts: statuses.hosts(of: recorder.name, at: now))
    }
}
