import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster grant …`: who may combine which filter with which target.
struct GrantCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Manage grants (who may tap with which filter and target).",
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, DeleteCommand<Self>.self],
        aliases: ["grants"])
    static let collection = Resources.grants

    /// `tapster grant create (--user U | --tenant T) --filter F --target T --max-duration 1h`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a filter/target pair to an owner or a tenant.")
        @Option(help: "The owner the grant is for.") var user: String?
        @Option(help: "The tenant whose owners the grant is for.") var tenant: String?
        @Option(help: "The filter's name.") var filter: String
        @Option(help: "The target's name.") var target: String
        @Option(help: "The longest tap allowed, e.g. 1h.", transform: Parse.duration) var maxDuration: TapDuration
        @Option(help: ArgumentHelp("Whether taps through this grant wait for another admin's approval: required or none.",
                                   discussion: "Default: required for full-payload targets when `tapster policy set approval-for-full-payload on`, else none."))
        var approval: ApprovalRequirement?
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard (user == nil) != (tenant == nil) else { throw ValidationError("give exactly one of --user and --tenant") }
        }

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.grants, GrantSpec(user: user, tenant: tenant, filter: filter, target: target, maxDuration: maxDuration, approval: approval))
        }
    }
}
