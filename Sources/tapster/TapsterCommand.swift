import ArgumentParser
import Foundation
import TapsterAgent
import TapsterClient
import TapsterCore

/// The `tapster` executable: the server (`serve`) and the client verbs.
@main
struct TapsterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapster",
        abstract: "Traffic taps as a service.",
        discussion: """
            Client verbs talk to --server (or $TAPSTER_SERVER, or the saved login) with --token (or \
            $TAPSTER_TOKEN, or the saved login). Exit status: 0 done, 1 refused or failed, 2 bad command \
            line, 3 server unreachable.
            """,
        // The one version of the executable: the agent reports it to the server, the image is tagged with it.
        version: AgentVersion.current,
        subcommands: [
            ServeCommand.self,
            LoginCommand.self, LogoutCommand.self, WhoamiCommand.self,
            TapCommand.self, CaptureCommand.self, TargetCommand.self, FilterCommand.self, GrantCommand.self,
            TenantCommand.self, NamespaceMappingCommand.self, RecorderCommand.self, UserCommand.self, TokenCommand.self,
            WorkloadCommand.self, AgentCommand.self, AuditCommand.self, AuthCommand.self,
            FlowsCommand.self, MapCommand.self, APIsCommand.self, PolicyCommand.self, TriggerCommand.self,
        ]
    )

    /// As ArgumentParser's, but a usage error is one line (`error: … (usage)`, exit status 2)
    /// and any other error one line too, never a dump.
    static func main() async {
        // A pipe whose reader went away is a failed write, not a signal, from the first write on: swift-nio ignores
        // SIGPIPE only once it opens a socket, and a command that wrote before that would die of it (status 141)
        // where one that wrote after stops quietly (status 0, ``OutputClosed``).
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Self.exit(withError: exit)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Self.exit(withError: error)  // --help, --version
            }
            let report = code == .validationFailure
                ? ErrorReport(message: usageMessage(for: error), code: "usage", exitStatus: ExitStatus.usage)
                : ErrorReport(error)
            Console.error(report.line)
            Self.exit(withError: ExitCode(report.exitStatus))
        }
    }

    /// ArgumentParser's message for a usage error, pointing at `--help`.
    private static func usageMessage(for error: any Error) -> String {
        var text = message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(".") { text.removeLast() }
        return text + "; see --help"
    }
}
