import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster trigger …`: webhooks a detection engine calls to open a capture within a filter.
struct TriggerCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "trigger", abstract: "Manage triggers (detection-engine webhooks that open captures).",
        discussion: """
            A trigger's webhook (POST /api/v1/triggers/ID/webhook) takes Alertmanager webhooks, Suricata EVE alert events or \
            {"selector","addresses","reason"}, authenticated by Authorization: Bearer SECRET or X-Tapster-Signature: \
            t=UNIXTIME,v1=HMAC (HMAC-SHA256 of "UNIXTIME.BODY", within 5 minutes). The alert's labels or addresses pick workloads within the filter (never beyond it); a stored \
            capture (store target) or a tap (mirroring target) opens for --for, at most --rate often. See docs/triggers.md.
            """,
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, RotateSecret.self, DeleteCommand<Self>.self],
        aliases: ["triggers"])
    static let collection = Resources.triggers

    /// `tapster trigger create NAME --filter F --target T --for 5m [--before 30s] [--rate 1/10m] [--payload headers:256]`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create a trigger; prints its webhook URL and its secret (shown once).")
        @Argument(help: "The trigger's name.") var name: String
        @Option(help: "The filter it captures within.") var filter: String
        @Option(help: "A store target (a stored capture opens) or a mirroring target (a tap opens).") var target: String
        @Option(name: .customLong("for"), help: "How long each capture runs, e.g. 5m.", transform: Parse.duration) var duration: TapDuration
        @Option(help: "The pre-trigger window each capture starts with, e.g. 30s (needs a recorder).", transform: Parse.duration)
        var before: TapDuration?
        @Option(help: "At most N openings per period, e.g. 1/10m (the default).", transform: Parse.triggerRate) var rate: TriggerRate?
        @Option(help: "headers:<snaplen> to keep only the first bytes of each packet (stored captures).", transform: Parse.payload)
        var payload: Payload?
        @Option(help: "Why the trigger exists.") var description: String?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.triggers.created, TriggerSpec(
                name: name, description: description, filter: filter, target: target, duration: duration, before: before,
                rate: rate, payload: payload))
        }
    }

    /// `tapster trigger rotate-secret NAME`.
    struct RotateSecret: ClientCommand {
        static let configuration = CommandConfiguration(commandName: "rotate-secret",
                                                        abstract: "Replace a trigger's secret (the old one stops working at once).")
        @Argument(help: "Its name or id.") var reference: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try session.show(try await session.client.post(Resources.triggers.url(reference, "rotate-secret"), as: TriggerCreated.self))
        }
    }
}

extension Parse {
    static func triggerRate(_ text: String) throws -> TriggerRate { try wrap { () throws(TapsterError) in try TriggerRate(parsing: text) } }
}
