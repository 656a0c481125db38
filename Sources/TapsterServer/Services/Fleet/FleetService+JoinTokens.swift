import Foundation
import TapsterAPI
import TapsterCore
import TapsterPKI
import TapsterStore

extension FleetService {
    /// Creates a single-use join token for one agent name (admins only), audited as
    /// `agent.token_created`. An `enrol` token is only for a name no agent has; a `reenrol` token only
    /// for an existing agent that is not revoked — the one way to give an enrolled agent a new identity.
    /// Its text is in the answer only: the store keeps its hash.
    public func createAgentToken(_ p: Principal, _ request: AgentTokenRequest) async throws -> IssuedAgentToken {
        try Policy.require(p, .create, .agent, .collection)
        guard let name = request.agent, !name.isEmpty else {
            throw TapsterError.invalid("agent", "name the agent the token enrols (tapster agent token create NAME)")
        }
        try ResourceName.validate(name, field: "agent")
        let purpose = request.purpose ?? .enrol
        let ttl = request.ttl ?? AgentJoinToken.defaultTTL
        guard ttl.seconds > 0, ttl <= AgentJoinToken.maximumTTL else {
            throw TapsterError.invalid("ttl", "\(ttl) is not between 1s and \(AgentJoinToken.maximumTTL)")
        }
        let (pki, endpoint) = try await agentChannel()
        let token = JoinToken.generate(caFingerprint: pki.authority.fingerprint)
        let created = now
        let record = AgentJoinToken(id: token.id, agent: name, purpose: purpose, createdBy: p.name, createdAt: created,
                                    expiresAt: created.addingTimeInterval(TimeInterval(ttl.seconds)))
        try await store.transaction { session in
            try Self.requireTokenFits(purpose, agent: name, existing: try await session.lockAgent(named: name))
            try await session.insertAgentJoinToken(record, secretHash: token.secretHash)
            try await audit(session, p, AuditAction.agentTokenCreated, .agent, id: token.id, name: name, tenant: nil,
                            details: ["expires_at": TapsterJSON.formatTime(record.expiresAt), "ttl": ttl.description,
                                      "agent": name, "purpose": purpose.rawValue])
        }
        return IssuedAgentToken(id: token.id, token: token.description, agent: name, purpose: purpose, expiresAt: record.expiresAt,
                                agentAddress: endpoint,
                                command: "tapster agent --server \(endpoint) --name \(name) --join-token \(token.description)")
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

    /// The one rule of what a token's purpose allows, given the agent of its name (if any): when the
    /// token is made and again when it is used. An identity is never replaced by an `enrol` token.
    static func requireTokenFits(_ purpose: AgentJoinToken.Purpose, agent name: String, existing: Agent?) throws(TapsterError) {
        switch (purpose, existing) {
        case (_, let agent?) where agent.state == .revoked:
            throw revokedError(agent)
        case (.enrol, let agent?):
            throw TapsterError(.alreadyExists,
                               "agent \(agent.name) is enrolled already; to give it a new key and certificate (revoking its current one), "
                               + "use a re-enrolment token: tapster agent token create \(agent.name) --reenrol")
        case (.reenrol, nil):
            throw TapsterError(.notFound, "no agent named \(name) is enrolled to enrol again; use an enrolment token (without --reenrol)")
        default:
            return
        }
    }
}
