import Foundation
import TapsterCore

/// Runs one client verb: resolves the configuration (flags, environment, saved login),
/// opens an ``APIClient``, runs the verb, shuts the client down, and reports any failure as
/// one line on standard error. Returns the exit status.
public enum CommandRunner {
    public static func run(
        server: String?, token: String?, output: OutputFormat,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        _ body: (CommandSession) async throws -> Void
    ) async -> Int32 {
        do {
            let file = ConfigFile.location(environment: environment)
            var saved = try file?.load()
            // A saved sign-in at an identity provider gets fresh tokens before they run out (unless another token is given).
            if let login = saved, let file, token == nil, (environment["TAPSTER_TOKEN"] ?? "").isEmpty {
                saved = await OIDCLoginRefresh.refreshed(login, file: file) { Console.error("warning: " + $0) }
            }
            let configuration: ClientConfiguration
            do {
                configuration = try ClientConfiguration.resolve(serverFlag: server, tokenFlag: token, environment: environment, saved: saved)
            } catch {
                throw CommandFailure.usage(error.message)
            }
            try await APIClient.with(server: configuration.server, token: configuration.token) { client in
                let session = CommandSession(configuration: configuration, client: client, renderer: Renderer(format: output),
                                             configFile: file, environment: environment)
                try await body(session)
            }
            return ExitStatus.success
        } catch is OutputClosed {
            // Whoever read the output went away (`tapster … | head`): the command stops there, and nothing failed.
            return ExitStatus.success
        } catch {
            let report = ErrorReport(error)
            Console.error(report.line)
            return report.exitStatus
        }
    }
}
