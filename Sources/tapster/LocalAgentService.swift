import Foundation
import Logging
import ServiceLifecycle
import TapsterAgent
import TapsterCore
import TapsterPKI
import TapsterServer

/// This host's own agent, run by `tapster serve --with-agent` in the server's process: on its first start
/// it enrols with a short-lived join token the server issues itself (audited as created by `system`), and
/// from then on it is an agent like any other — mutual TLS to the agent endpoint over loopback, its key
/// and certificate in `<data-dir>/agent`.
struct LocalAgentService: Service {
    let controlPlane: ControlPlane
    let settings: AgentSettings
    let logger: Logger

    /// How long a token for the local agent's enrolment is valid.
    static let tokenLifetime = TapDuration(seconds: 300)

    func run() async throws {
        var settings = self.settings
        let certificate = settings.dataDirectory.appendingPathComponent(AgentKeyStore.certificateFileName).path
        if !FileManager.default.fileExists(atPath: certificate) {
            settings.joinToken = try await issueToken()
            logger.notice("enrolling this host's agent", metadata: ["agent": "\(settings.name)"])
        }
        try await AgentRuntime(settings: settings, logger: logger).run()
    }

    /// A join token, once the agent endpoint listens (it starts alongside this service).
    private func issueToken() async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        while true {
            do {
                return try await controlPlane.createAgentToken(.system, AgentTokenRequest(ttl: Self.tokenLifetime)).token
            } catch let error as TapsterError where error.code == .unavailable && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
