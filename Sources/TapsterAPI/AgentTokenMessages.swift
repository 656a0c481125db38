import Foundation
import TapsterCore

/// `POST /api/v1/agent-tokens`.
public struct AgentTokenRequest: Codable, Sendable, Equatable {
    /// The name of the agent the token enrols (required): a new agent's, or with `reenrol` an existing one's.
    public var agent: String?
    /// `enrol` when absent.
    public var purpose: AgentJoinToken.Purpose?
    /// How long the token may be used; 1h when absent, at most 7d.
    public var ttl: TapDuration?

    public init(agent: String?, purpose: AgentJoinToken.Purpose? = nil, ttl: TapDuration? = nil) {
        self.agent = agent
        self.purpose = purpose
        self.ttl = ttl
    }
}

/// A newly created join token: the text (shown only now) and where agents enrol with it.
public struct IssuedAgentToken: Codable, Sendable, Equatable {
    public var id: String
    /// `tjoin.<id>.<secret>.<CA fingerprint>`: what `tapster agent --join-token` takes.
    public var token: String
    /// The agent name it enrols.
    public var agent: String
    public var purpose: AgentJoinToken.Purpose
    public var expiresAt: Date
    /// The server's agent endpoint (`HOST:PORT`), for `tapster agent --server`.
    public var agentAddress: String
    /// A command line that enrols and runs an agent with this token.
    public var command: String

    public init(id: String, token: String, agent: String, purpose: AgentJoinToken.Purpose, expiresAt: Date, agentAddress: String,
                command: String) {
        self.id = id
        self.token = token
        self.agent = agent
        self.purpose = purpose
        self.expiresAt = expiresAt
        self.agentAddress = agentAddress
        self.command = command
    }
}
