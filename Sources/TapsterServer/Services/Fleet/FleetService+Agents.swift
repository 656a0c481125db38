import TapsterCore
import TapsterStore

/// Reading the enrolled agents (admins and auditors).
extension FleetService {
    public func listAgents(_ p: Principal) async throws -> [Agent] {
        try Policy.require(p, .read, .agent, .collection)
        return try await store.listAgents()
    }

    public func agent(_ p: Principal, _ reference: String) async throws -> Agent {
        try Policy.require(p, .read, .agent, .collection)
        guard let agent = try await store.findAgent(reference) else { throw TapsterError.notFound("agent", reference) }
        return agent
    }
}
