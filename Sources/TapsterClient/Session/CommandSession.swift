import Foundation
import TapsterCore

/// What a client verb works with: the API client for the resolved server and token, the
/// renderer for the chosen output, and where the login is saved.
public struct CommandSession: Sendable {
    public let configuration: ClientConfiguration
    public let client: APIClient
    public let renderer: Renderer
    /// The file `tapster login` writes, when a home or config directory is known.
    public let configFile: ConfigFile?
    public let environment: [String: String]

    public init(configuration: ClientConfiguration, client: APIClient, renderer: Renderer,
                configFile: ConfigFile?, environment: [String: String]) {
        self.configuration = configuration
        self.client = client
        self.renderer = renderer
        self.configFile = configFile
        self.environment = environment
    }

    /// Prints one object in the chosen format.
    public func show<Item: TableRenderable>(_ answer: APIResponse<Item>) throws {
        try Console.out(try renderer.render(answer))
    }

    /// Prints a list in the chosen format; an empty table is announced on standard error.
    public func show<Item: TableRenderable>(_ answer: APIResponse<[Item]>) throws {
        try Console.out(try renderer.render(answer))
        if let message = renderer.emptyMessage(for: answer) { Console.error(message) }
    }

    /// A line on standard output for humans, e.g. `target "web" deleted` (printed in every
    /// format, as kubectl prints its confirmations).
    public func say(_ line: String) throws {
        try Console.out(line + "\n")
    }

    /// `warning: <text>` on standard error.
    public func warn(_ text: String) {
        Console.error("warning: \(text)")
    }
}
