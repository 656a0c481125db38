import Foundation
import TapsterCore
import TapsterPKI
import TapsterStore

extension ControlPlane {
    /// Creates a single-use join token (admins only), audited as `agent.token_created`. Its text is
    /// in the answer only: the store keeps its hash.
    public func createAgentToken(_ p: Principal, _ request: AgentTokenRequest) async throws -> IssuedAgentToken {
        try Policy.require(p, .create, .agent, .collection)
        let ttl = request.ttl ?? AgentJoinToken.defaultTTL
        guard ttl.seconds > 0, ttl <= AgentJoinToken.maximumTTL else {
            throw TapsterError.invalid("ttl", "\(ttl) is not between 1s and \(AgentJoinToken.maximumTTL)")
        }
        let (pki, endpoint) = try await agentChannel()
        let token = JoinToken.generate(caFingerprint: pki.authority.fingerprint)
        let created = now
        let record = AgentJoinToken(id: token.id, createdBy: p.name, createdAt: created,
                                    expiresAt: created.addingTimeInterval(TimeInterval(ttl.seconds)))
        try await store.transaction { session in
            try await session.insertAgentJoinToken(record, secretHash: token.secretHash)
            try await audit(session, p, AuditAction.agentTokenCreated, .agent, id: token.id, name: nil, tenant: nil,
                            details: ["expires_at": TapsterJSON.formatTime(record.expiresAt), "ttl": ttl.description])
        }
        return IssuedAgentToken(id: token.id, token: token.description, expiresAt: record.expiresAt, agentAddress: endpoint,
                                command: "tapster agent --server \(endpoint) --join-token \(token.description)")
    }

    /// Every join token (without secrets): admins and auditors.
    public func listAgentTokens(_ p: Principal) async throws -> [AgentJoinToken] {
        try Policy.require(p, .read, .agent, .collection)
        return try await store.listAgentJoinTokens()
    }

    /// The agent channel's trust and address, or `unavailable` when this server runs none.
    func agentChannel() async throws -> (AgentPKI, String) {
        guard let agentPKI, let endpoint = await agentHub.endpoint else {
            throw TapsterError(.unavailable, "this server runs no agent channel (tapster serve --agent-listen)")
        }
        return (agentPKI, endpoint)
    }
}
