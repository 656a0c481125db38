import Logging
import ServiceLifecycle

/// Writes the agents' pending "last seen" and applied revisions (``AgentPresence``) every
/// ``AgentPresence/flushInterval``, and once more at shutdown.
struct AgentPresenceService: Service {
    let fleet: FleetService
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // A shutdown ends the wait at once: the last round below writes what is pending.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: AgentPresence.flushInterval) }
            await flush()
        }
        await flush()
    }

    private func flush() async {
        do {
            try await fleet.flushPresence()
        } catch {
            // The sightings stay pending: the next round writes them.
            logger.warning("writing the agents' last-seen times failed", metadata: ["error": "\(error)"])
        }
    }
}
