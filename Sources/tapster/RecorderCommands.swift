import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster recorder …`: per-host flight recorders, the packets captures can look back on (`--before`).
struct RecorderCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "recorder", abstract: "Keep the last seconds of a filter's packets on its hosts, for captures that look back (admins).",
        discussion: """
            Every agent with workloads the filter selects keeps, per interface, a ring of the last WINDOW of their packets in \
            memory (never on disk), at most MAX-BYTES per host. Nothing leaves the host until a capture asks for it with \
            'tapster capture --before'. 'list' shows each host's memory held, packets, the oldest packet's age, evictions and drops.
            """,
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, DeleteCommand<Self>.self],
        aliases: ["recorders"])
    static let collection = Resources.recorders

    /// `tapster recorder create NAME --filter F --window 30s --max-bytes 64MiB`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Record a filter's workloads on their hosts.")
        @Argument(help: "The recorder's name.") var name: String
        @Option(help: "The filter whose workloads (and expression) are recorded.") var filter: String
        @Option(help: "How far back, e.g. 30s (at most 1h).", transform: Parse.duration) var window: TapDuration
        @Option(name: .customLong("max-bytes"), help: "The most memory per host, e.g. 64MiB.", transform: Parse.byteCount) var maxBytes: ByteCount
        @Option(help: "Why the recorder exists.") var description: String?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.recorders, RecorderSpec(name: name, description: description, filter: filter,
                                                                        window: window, maxBytes: maxBytes.bytes))
        }
    }
}
