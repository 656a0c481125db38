import TapsterAPI
import TapsterCore

/// Agents: join tokens, revocation.
extension CommandSession {
    /// Creates a join token and prints it with the command that enrols a host with it — the only
    /// time the token is shown.
    public func createAgentToken(_ request: AgentTokenRequest) async throws {
        let answer = try await client.post(Resources.agentTokens.url, body: request, as: IssuedAgentToken.self)
        try show(answer)
        if renderer.format == .table {
            try say("")
            try say(answer.value.purpose == .reenrol
                ? "Enrol agent \(answer.value.agent) again with it (once, before it expires), as root on its host:"
                : "Enrol agent \(answer.value.agent) with it (once, before it expires), as root on its host:")
            try say("  \(answer.value.command)")
            Console.error("Save the token now: it is not shown again.")
        }
    }

    /// Revokes an agent: its certificate is refused from now on, its connection closed.
    public func revokeAgent(_ reference: String) async throws {
        try show(try await client.post(Resources.agents.url(reference, "revoke"), as: Agent.self))
    }
}
