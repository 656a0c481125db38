import Foundation
import Logging
import ServiceLifecycle
import TapsterAgent
import TapsterAPI
import TapsterCore
import TapsterPKI
import TapsterServer

/// This host's own agent, run by `tapster serve --with-agent` in the server's process: on its first start
/// it enrols with a short-lived join token for its name that the server issues itself (audited as created
/// by `system`) — a re-enrolment token when the store knows an agent of that name but its key and
/// certificate are gone from `<data-dir>/agent` (the server's own data directory: whoever runs the server
/// owns that identity) — and from then on it is an agent like any other: mutual TLS to the agent endpoint
/// over loopback.
struct LocalAgentService: Service {
    let controlPlane: ControlPlane
    let settings: AgentSettings
    /// The agent's instance lock, taken by `serve` before the server starts (no join token is issued, nor anything
    /// else done, while another agent of this name runs).
    let instance: AgentInstanceLock
    let logger: Logger

    /// How long a token for the local agent's enrolment is valid.
    static let tokenLifetime = TapDuration(seconds: 300)

    func run() async throws {
        var settings = self.settings
        let certificate = settings.dataDirectory.appendingPathComponent(AgentKeyStore.certificateFileName).path
        if !FileManager.default.fileExists(atPath: certificate) {
            settings.joinToken = try await issueToken(for: settings.name)
            logger.notice("enrolling this host's agent", metadata: ["agent": "\(settings.name)"])
        }
        try await AgentRuntime(settings: settings, logger: logger).run(holding: instance)
    }

    /// A join token for agent `name`, once the agent endpoint listens (it starts alongside this service).
    private func issueToken(for name: String) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        var purpose = AgentJoinToken.Purpose.enrol
        while true {
            do {
                return try await controlPlane.fleet.createAgentToken(.system, AgentTokenRequest(agent: name, purpose: purpose, ttl: Self.tokenLifetime)).token
            } catch let error as TapsterError where error.code == .unavailable && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            } catch let error as TapsterError where error.code == .alreadyExists && purpose == .enrol {
                logger.warning("this host's agent is enrolled but its certificate is missing: enrolling it again", metadata: ["agent": "\(name)"])
                purpose = .reenrol
            }
        }
    }
}
