import ArgumentParser
import TapsterClient
import TapsterCore

/// `--server`, `--token`, `-o/--output`: on every client verb.
struct ClientOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.short, .long], help: "Output format.")
    var output: OutputFormat = .table

    var server: String? { connection.server }
    var token: String? { connection.token }
}

/// `--server` and `--token`: which server, as whom. Alone for verbs whose output is not a table (so `-o` is
/// theirs: `tapster capture -w`, `tapster map -o dot`).
struct ConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Tapster server's URL.",
                               discussion: "Default: $TAPSTER_SERVER, else the saved login, else \(ClientConfiguration.defaultServer).",
                               valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("The API token to use.", discussion: "Default: $TAPSTER_TOKEN, else the saved login.", valueName: "token"))
    var token: String?

    /// Runs `body` as ``ClientCommand`` does: one line on standard error and a non-zero exit on failure.
    func run(output: OutputFormat = .table, _ body: (CommandSession) async throws -> Void) async throws {
        let status = await CommandRunner.run(server: server, token: token, output: output, body)
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}

extension OutputFormat: ExpressibleByArgument {}
