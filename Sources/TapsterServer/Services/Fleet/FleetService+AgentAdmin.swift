import Foundation
import GRPCCore
import TapsterCore
import TapsterPKI
import TapsterStore

extension FleetService {
    /// Revokes an agent (admins only): its certificate is refused from now on (also after a restart)
    /// and its open control channel is closed at once. Audited as `agent.revoked`.
    @discardableResult
    public func revokeAgent(_ p: Principal, _ reference: String) async throws -> Agent {
        try Policy.require(p, .update, .agent, .collection)
        let name = try await agent(p, reference).name
        let at = now
        let revoked = try await store.transaction { session in
            guard var agent = try await session.lockAgent(named: name) else { throw TapsterError.notFound("agent", reference) }
            guard agent.state != .revoked else { throw TapsterError(.invalidState, "agent \(name) is already revoked") }
            agent.state = .revoked
            agent.revokedAt = at
            try await session.upsertAgent(agent)
            if let serial = agent.certificateSerial { try await session.insertRevokedSerial(serial, agent: name, at: at) }
            try await audit(session, p, AuditAction.agentRevoked, .agent, id: agent.id, name: name, tenant: nil,
                            details: ["serial": agent.certificateSerial ?? ""])
            return agent
        }
        if let serial = revoked.certificateSerial { agentPKI?.revocations.insert(serial: serial) }
        await agentHub.close(name, with: RPCError(code: .permissionDenied, message: "agent \(name) was revoked by \(p.name)"))
        changes.publish(.agent(name: name, .updated))
        return revoked
    }

    /// Deletes an agent that is not connected (admins only), with the workloads it reported; its
    /// certificate is revoked. A revoked host can enrol again only after this. Audited.
    public func deleteAgent(_ p: Principal, _ reference: String) async throws {
        try Policy.require(p, .delete, .agent, .collection)
        let name = try await agent(p, reference).name
        let at = now
        let serial = try await store.transaction { session in
            guard let agent = try await session.lockAgent(named: name) else { throw TapsterError.notFound("agent", reference) }
            guard agent.state != .connected else {
                throw TapsterError(.invalidState, "agent \(name) is connected; revoke it first (tapster agent revoke \(name))")
            }
            for workload in try await session.list(.workloads, tenants: nil) where workload.reportedBy == name {
                try await session.delete(id: workload.id, from: .workloads)
            }
            if let serial = agent.certificateSerial { try await session.insertRevokedSerial(serial, agent: name, at: at) }
            try await session.deleteAgent(id: agent.id)
            try await audit(session, p, AuditAction.deleted("agent"), .agent, id: agent.id, name: name, tenant: nil,
                            details: ["serial": agent.certificateSerial ?? ""])
            return agent.certificateSerial
        }
        if let serial { agentPKI?.revocations.insert(serial: serial) }
        changes.publish(.agent(name: name, .deleted))
    }
}
