import ArgumentParser
import TapsterClient
import TapsterAPI
import TapsterCore

/// `tapster tap …`: owners' self-service.
struct TapCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "tap", abstract: "Open, list and stop taps.",
        subcommands: [Create.self, List.self, GetCommand<Self>.self, Stop.self, Reactivate.self, Approve.self, Reject.self],
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
        @Flag(help: "Include ended taps (stopped, expired, failed, rejected).") var allStates = false
        @Option(help: "Only taps in this state (repeat for several); `--state pending` is the approval queue.") var state: [TapState] = []
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

    /// `tapster tap approve ID [--reason …]`: four-eyes approval, by an admin other than the requester.
    struct Approve: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a tap waiting for approval (admins; never your own request).",
            discussion: "The tap becomes active now and runs for the duration the owner asked for, counted from now.")
        @Argument(help: "The pending tap's id (tapster tap list --state pending).") var id: String
        @Option(help: "A note kept with the approval and in the audit log.") var reason: String?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.approveTap(id, reason: reason)
        }
    }

    /// `tapster tap reject ID --reason …`.
    struct Reject: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject a tap waiting for approval (admins; never your own request).",
            discussion: "The tap ends `rejected`; the owner sees the reason, and so does the audit log.")
        @Argument(help: "The pending tap's id.") var id: String
        @Option(help: "Why (required).") var reason: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.rejectTap(id, reason: reason)
        }
    }
}
