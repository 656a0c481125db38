import ArgumentParser

/// `tapster serve`: runs the control plane (API, portal, scheduler).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the Tapster control plane.")

    func run() async throws {
        // Filled in by the server work.
    }
}
