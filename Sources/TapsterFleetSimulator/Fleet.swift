import Foundation

/// N simulated agents (``SimulatedAgent``) against one server, in one process: `sim-00000`…, each host
/// reporting `workloads` workloads (``SimulatedHost``), their key material under `directory`, all
/// observations in one ``ledger``.
public final class Fleet: Sendable {
    public let agents: [SimulatedAgent]
    public let ledger = FleetLedger()

    /// - Parameters:
    ///   - statusInterval: how often each agent reports its taps' status when it changed (the real agent's default:
    ///     1 s; an unchanged one at most every ``StatusPacing/defaultHeartbeat``).
    public init(count: Int, workloads: Int, endpoint: FleetEndpoint, directory: URL, statusInterval: Duration = .seconds(1)) {
        let ledger = self.ledger
        agents = (0..<count).map { index in
            let name = Self.name(index)
            return SimulatedAgent(name: name, host: SimulatedHost(index: index, workloads: workloads), endpoint: endpoint,
                                  directory: directory.appendingPathComponent(name), ledger: ledger, statusInterval: statusInterval)
        }
    }

    /// The agent names: `sim-00000`, `sim-00001`, … (sortable).
    public static func name(_ index: Int) -> String {
        "sim-" + String(repeating: "0", count: max(0, 5 - String(index).count)) + String(index)
    }

    public var names: [String] { agents.map(\.name) }

    /// Enrols every agent with the join token `token(name)` returns, `concurrency` at a time.
    /// - Throws: ``FleetError/enrolmentFailed(agent:reason:)`` for the first agent that could not enrol.
    public func enrol(concurrency: Int = 8, token: @escaping @Sendable (String) async throws -> String) async throws {
        try await forEach(concurrency: concurrency) { agent in
            do {
                try await agent.enrol(joinToken: try await token(agent.name))
            } catch {
                throw FleetError.enrolmentFailed(agent: agent.name, reason: "\(error)")
            }
        }
    }

    /// Runs every agent's control channel (reconnecting whenever it ends) until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for agent in agents { group.addTask { await agent.run() } }
        }
    }

    /// Runs `body` on every agent, at most `concurrency` at once; the first error cancels the rest.
    private func forEach(concurrency: Int, _ body: @escaping @Sendable (SimulatedAgent) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = agents.makeIterator()
            for _ in 0..<max(1, concurrency) {
                guard let agent = pending.next() else { break }
                group.addTask { try await body(agent) }
            }
            while try await group.next() != nil {
                if let agent = pending.next() { group.addTask { try await body(agent) } }
            }
        }
    }
}

/// Why the fleet could not be set up.
public enum FleetError: Error, CustomStringConvertible, Sendable {
    case enrolmentFailed(agent: String, reason: String)

    public var description: String {
        switch self {
        case .enrolmentFailed(let agent, let reason): "simulated agent \(agent) could not enrol: \(reason)"
        }
    }
}
