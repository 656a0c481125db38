import ArgumentParser

/// `tapster agent [--server HOST:PORT] [--join-token T] …`: runs the agent on this host.
struct AgentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent on this host (the default of `tapster agent`)."
    )

    func run() async throws {
        throw ValidationError("the agent is not built yet")
    }
}
