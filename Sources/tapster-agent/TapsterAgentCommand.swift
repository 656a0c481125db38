import ArgumentParser
import Glibc
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

    /// As ArgumentParser's, but an agent that cannot start ends as `tapster agent` does: one line,
    /// `error: <message> (<code>)` (``CodedError/line``), exit status 1.
    static func main() async {
        do {
            try await parse().run()
        } catch let error as any CodedError {
            let text = Array((error.line + "\n").utf8)
            _ = text.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            Self.exit(withError: ExitCode.failure)
        } catch {
            Self.exit(withError: error)  // usage errors, --help and --version as ArgumentParser words them
        }
    }
}
