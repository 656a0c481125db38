import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster audit …`: the hash-chained audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read and verify the audit log.",
        subcommands: [List.self, Verify.self], defaultSubcommand: List.self)

    /// `tapster audit [list] [--since 1h] …`.
    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List audit events, newest first (the default).", aliases: ["ls"])
        @Option(help: "From this time: ISO 8601, or a duration ago such as 1h.") var since: String?
        @Option(help: "Up to this time: ISO 8601, or a duration ago.") var until: String?
        @Option(help: "Only events about this tap.") var tap: String?
        @Option(help: "Only events by this user.") var actor: String?
        @Option(help: "Only this action, e.g. tap.created.") var action: String?
        @Option(help: "At most this many events, newest first (server default 500).") var limit: Int?
        @Option(help: "Only events older than this sequence number: the next page, as the previous one said.") var before: Int64?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            let query = APIPath.query(["since": since, "until": until, "tap": tap, "actor": actor, "action": action,
                                       "limit": limit.map(String.init), "before": before.map(String.init)])
            try await session.listAudit(query: query)
        }
    }

    /// `tapster audit verify`: fails naming the first broken link.
    struct Verify: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Verify the audit log's hash chain; exit 1 if it is broken.")
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.verifyAudit()
        }
    }
}
