import ArgumentParser
import TapsterAgent
import TapsterAgentCommand
import TapsterCore

/// The `tapster-agent` executable: `tapster agent` alone, for the hosts (Package.swift says why it exists).
/// Its options are `tapster agent`'s, and running it is the same code.
@main
struct TapsterAgentExecutable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapster-agent",
        abstract: "Run the tapster agent on this host (the same command as `tapster agent`, in a smaller executable).",
        discussion: AgentRunOptions.discussion,
        // The same version as `tapster --version`: both are built from the same tree.
        version: AgentVersion.current)

    @OptionGroup var options: AgentRunOptions

    func run() async throws {
        try await options.run()
    }

    /// As `tapster`'s (``CommandMain``): an agent that cannot start ends as `tapster agent` does — one line,
    /// `error: <message> (<code>)`, exit status 1; a usage error `error: … (usage)`, exit status 2.
    static func main() async {
        await CommandMain.run(Self.self) { error in
            (error as? any CodedError).map { ($0, ExitStatus.failure) } ?? CommandMain.internalError(error)
        }
    }
}
