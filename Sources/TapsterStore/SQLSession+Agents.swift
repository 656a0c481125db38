import Foundation
import SQLKit
import TapsterCore

/// Agents (one per host), written by the agent hub as they enrol, connect and disconnect.
extension SQLSession {
    func upsertAgent(_ agent: Agent) async throws {
        try await perform("write agent", conflict: { .alreadyExists("agent", agent.name) }) {
            try await execute("""
                INSERT INTO agents (id, name, state, created_at_ms, last_seen_at_ms, body)
                VALUES (\(bind: agent.id), \(bind: agent.name), \(bind: agent.state.rawValue),
                        \(bind: agent.createdAt.millisecondsSince1970), \(nullable(agent.lastSeenAt?.millisecondsSince1970)),
                        \(bind: try StoredJSON.encode(agent)))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, state = excluded.state,
                    created_at_ms = excluded.created_at_ms, last_seen_at_ms = excluded.last_seen_at_ms, body = excluded.body
                """)
        }
    }

    func findAgent(_ reference: String) async throws -> Agent? {
        try await perform("find agent") {
            try await row("""
                SELECT body, replica FROM agents
                WHERE id = \(bind: reference) OR name = \(bind: reference)
                ORDER BY CASE WHEN id = \(bind: reference) THEN 0 ELSE 1 END
                LIMIT 1
                """).map(Self.agent)
        }
    }

    /// The agent named `name`, its row locked until the transaction ends (for read-modify-write).
    func lockAgent(named name: String) async throws -> Agent? {
        try await perform("lock agent") {
            try await row("SELECT body, replica FROM agents WHERE name = \(bind: name)\(dialect.forUpdate)").map(Self.agent)
        }
    }

    func listAgents() async throws -> [Agent] {
        try await fetchAgents().values()
    }

    func fetchAgents() async throws -> FetchedRows<Agent> {
        try await fetch("list agents", "SELECT body, replica FROM agents ORDER BY \(dialect.byteOrder("name"))", as: Self.agent)
    }

    func deleteAgent(id: String) async throws -> Bool {
        try await perform("delete agent") {
            try await row("DELETE FROM agents WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    /// An agent row: its body, with the replica that holds it from its own column (kept apart from the body,
    /// which the agent channel writes back whole).
    private static func agent(_ row: any SQLRow) throws -> Agent {
        var agent = try row.body(Agent.self)
        agent.replica = try row.optionalText("replica")
        return agent
    }
}
