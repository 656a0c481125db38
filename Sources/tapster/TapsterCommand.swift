import ArgumentParser

/// The `tapster` executable: the server (`serve`) and the client verbs.
@main
struct TapsterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapster",
        abstract: "Traffic taps as a service.",
        subcommands: [ServeCommand.self]
    )
}
