import ArgumentParser
import TapsterClient
import TapsterCore

/// `tapster namespace-mapping …`: which tenant the pods of each Kubernetes namespace belong to.
struct NamespaceMappingCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "namespace-mapping", abstract: "Map Kubernetes namespaces to tenants (a pod's tenant comes only from these).",
        discussion: """
            A pattern is a namespace name (shop) or a glob where '*' stands for any run of characters (shop-*, *-prod, *). \
            When several match a namespace, an exact name wins over every glob, then the longest pattern, then the one with \
            fewer '*', then the first in byte order. Creating or deleting a mapping moves the pods already reported at once.
            """,
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, DeleteCommand<Self>.self],
        aliases: ["namespace-mappings"])
    static let collection = Resources.namespaceMappings

    /// `tapster namespace-mapping create PATTERN --tenant T`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Give the pods of the namespaces a pattern matches to a tenant.")
        @Argument(help: "A namespace name, or a glob such as 'shop-*' (quote it for the shell).") var pattern: String
        @Option(help: "The tenant the pods belong to.") var tenant: String
        @Option(help: "Why the mapping exists.") var description = ""
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.create(Resources.namespaceMappings, NamespaceMappingSpec(pattern: pattern, tenant: tenant, description: description))
        }
    }
}
