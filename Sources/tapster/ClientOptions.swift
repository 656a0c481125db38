import ArgumentParser
import TapsterClient

/// `--server`, `--token`, `-o/--output`: on every client verb.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Tapster server's URL.",
                               discussion: "Default: $TAPSTER_SERVER, else the saved login, else \(ClientConfiguration.defaultServer).",
                               valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("The API token to use.", discussion: "Default: $TAPSTER_TOKEN, else the saved login.", valueName: "token"))
    var token: String?

    @Option(name: [.short, .long], help: "Output format.")
    var output: OutputFormat = .table
}

extension OutputFormat: ExpressibleByArgument {}
