import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster tenant …`.
struct TenantCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants (ownership scopes).",
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, Update.self, DeleteCommand<Self>.self],
        aliases: ["tenants"])
    static let collection = Resources.tenants

    /// `tapster tenant create NAME`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @Argument(help: "The tenant's name.") var name: String
        @Option(help: "What the tenant is.") var description = ""
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.tenants, TenantSpec(name: name, description: description))
        }
    }

    /// `tapster tenant update NAME --description …`.
    struct Update: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tenant's description.")
        @Argument(help: "The tenant's name.") var name: String
        @Option(help: "The new description.") var description: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.update(Resources.tenants, name, TenantPatch(description: description))
        }
    }
}
