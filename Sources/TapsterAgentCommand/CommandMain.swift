import ArgumentParser
import Glibc
import TapsterCore
import TapsterProcess

/// How both executables (`tapster` and `tapster-agent`) run their command and end on an error: as ArgumentParser's
/// `main`, but every error is one line, `error: <message> (<code>)` (``CodedError/line``), and a usage error exits
/// ``ExitStatus/usage`` — never a dump, never ArgumentParser's `Error:` and usage text.
public enum CommandMain {
    /// The report of an error that is not a usage error: its line's code and message, and the exit status.
    public typealias Report = @Sendable (any Error) -> (error: any CodedError, exitStatus: Int32)

    /// Parses the command line as `Root`'s, runs the command chosen, and exits with `report`'s status on an error.
    public static func run<Root: AsyncParsableCommand>(_ root: Root.Type, report: Report) async -> Never {
        // A pipe whose reader went away is a failed write, not a signal, from the first write on: swift-nio ignores
        // SIGPIPE only once it opens a socket, and a command that wrote before that would die of it (status 141)
        // where one that wrote after stops quietly (status 0).
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try await Root.asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Root.exit()
        } catch let exit as ExitCode {
            Root.exit(withError: exit)
        } catch {
            let code = Root.exitCode(for: error)
            if code == .success {
                Root.exit(withError: error)  // --help, --version
            }
            let (failure, status) = code == .validationFailure
                ? (CommandError(code: "usage", message: usageMessage(Root.self, for: error)), ExitStatus.usage)
                : report(error)
            _ = DescriptorWriter.writeAll(failure.line + "\n", to: STDERR_FILENO)
            Root.exit(withError: ExitCode(status))
        }
    }

    /// An error no more specific type describes: `internal`, with its own description, exit status 1.
    public static func internalError(_ error: any Error) -> (error: any CodedError, exitStatus: Int32) {
        (CommandError(code: "internal", message: String(describing: error)), ExitStatus.failure)
    }

    /// ArgumentParser's message for a usage error, pointing at `--help`.
    private static func usageMessage<Root: ParsableCommand>(_ root: Root.Type, for error: any Error) -> String {
        var text = Root.message(for: error).trimming(.whitespacesAndNewlines)
        while text.hasSuffix(".") { text.removeLast() }
        return text + "; see --help"
    }

    private struct CommandError: CodedError {
        var code: String
        var message: String
    }
}
