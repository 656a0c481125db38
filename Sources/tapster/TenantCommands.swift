import ArgumentParser
import TapsterClient
import TapsterAPI
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
        @Option(help: "The most bytes its stored captures may hold together (e.g. 10GiB); none by default.",
                transform: Parse.byteCount) var storedBytesQuota: ByteCount?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.tenants, TenantSpec(name: name, description: description, storedBytesQuota: storedBytesQuota?.bytes))
        }
    }

    /// `tapster tenant update NAME [--description …] [--stored-bytes-quota SIZE|none]`.
    struct Update: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tenant's description or stored-bytes quota.")
        @Argument(help: "The tenant's name.") var name: String
        @Option(help: "The new description.") var description: String?
        @Option(help: "The most bytes its stored captures may hold together (e.g. 10GiB), or 'none' to remove the bound.",
                transform: QuotaArgument.parse) var storedBytesQuota: TenantPatch.QuotaChange?
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard description != nil || storedBytesQuota != nil else {
                throw ValidationError("nothing to change: give --description or --stored-bytes-quota")
            }
        }

        func run(_ session: CommandSession) async throws {
            try await session.update(Resources.tenants, name, TenantPatch(description: description, storedBytesQuota: storedBytesQuota))
        }
    }

    /// `--stored-bytes-quota`: a size, or `none`.
    enum QuotaArgument {
        static func parse(_ text: String) throws -> TenantPatch.QuotaChange {
            text.lowercased() == "none" ? .remove : .set(try Parse.byteCount(text).bytes)
        }
    }
}
