import ArgumentParser
import Foundation
import TapsterAgent
import TapsterAgentCommand
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
            line, 3 server unreachable, 4 the server went away mid-capture (the file is complete up to then).
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

    /// As ArgumentParser's, but every error is one line (``CommandMain``): a usage error `error: … (usage)`, exit
    /// status 2; any other as ``ErrorReport`` words it.
    static func main() async {
        await CommandMain.run(Self.self) { error in
            let report = ErrorReport(error)
            return (report, report.exitStatus)
        }
    }
}
