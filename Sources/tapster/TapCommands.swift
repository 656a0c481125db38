import ArgumentParser
import TapsterClient
import TapsterAPI
import TapsterCore

/// `tapster tap …`: owners' self-service.
struct TapCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "tap", abstract: "Open, list and stop taps.",
        subcommands: [Create.self, List.self, GetCommand<Self>.self, Stop.self, Reactivate.self],
        aliases: ["taps"])
    static let collection = Resources.taps

    /// `tapster tap create --filter F --target T --for 15m`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a tap: a granted filter and target, for a while.",
            discussion: "Warnings from the server (e.g. no workload matches the filter yet) are printed on standard error.")
        @Option(help: "The filter's name.") var filter: String
        @Option(help: "The target's name.") var target: String
        @Option(name: .customLong("for"), help: "How long, e.g. 15m (at most the grant's maximum).", transform: Parse.duration)
        var duration: TapDuration
        @Option(help: "Which of your tenants the tap belongs to, when you have several.") var tenant: String?
        @Option(help: "Why (shown in the audit log).") var description: String?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.createTap(TapRequest(filter: filter, target: target, duration: duration, tenant: tenant, description: description))
        }
    }

    /// `tapster tap list`.
    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List taps (live ones unless told otherwise).", aliases: ["ls"])
        @Flag(help: "Include ended taps (stopped, expired, failed).") var allStates = false
        @Option(help: "Only taps in this state (repeat for several).") var state: [TapState] = []
        @OptionGroup var paging: PagingOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.list(Resources.taps, query: CommandSession.tapQuery(states: state, all: allStates), paging: paging.paging)
        }
    }

    /// `tapster tap stop ID`.
    struct Stop: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a live tap.")
        @Argument(help: "The tap's id.") var id: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.stopTap(id)
        }
    }

    /// `tapster tap reactivate ID [--for 15m]`.
    struct Reactivate: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Re-open an ended tap as a new tap, linked to it.")
        @Argument(help: "The ended tap's id.") var id: String
        @Option(name: .customLong("for"), help: "How long (default: as long as before).", transform: Parse.duration)
        var duration: TapDuration?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.reactivateTap(id, duration: duration)
        }
    }
}
