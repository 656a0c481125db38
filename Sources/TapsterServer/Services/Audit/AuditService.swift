import TapsterCore
import TapsterStore

/// Reading and verifying the audit trail; owners see only their tenants' events.
public struct AuditService: ContextualService {
    let context: ServiceContext

    /// Audit events; owners see only their tenants' events.
    public func auditEvents(_ p: Principal, _ query: AuditQuery) async throws -> [AuditEvent] {
        try Policy.require(p, .read, .audit, .collection)
        var query = query
        if let scope = Policy.tenantScope(of: p) {
            query.tenants = query.tenants.map { $0.intersection(scope) } ?? scope
        }
        return try await store.auditEvents(query)
    }

    public func verifyAudit(_ p: Principal) async throws -> AuditVerification {
        guard p.role != .owner else { throw TapsterError.forbidden("only admins and auditors verify the audit chain") }
        return try await store.verifyAudit()
    }
}
