import ArgumentParser
import TapsterClient

/// A command group for one API collection; it gets `list`, `get` and `delete` for free.
protocol ResourceGroup {
    associatedtype Item: TableRenderable & Decodable
    static var collection: ResourceCollection<Item> { get }
}

/// `<group> list`.
struct ListCommand<Group: ResourceGroup>: ClientCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List \(Group.Item.plural).", aliases: ["ls"])
    }

    @OptionGroup var paging: PagingOptions
    @OptionGroup var options: ClientOptions

    func run(_ session: CommandSession) async throws {
        try await session.list(Group.collection, paging: paging.paging)
    }
}

/// `<group> get NAME|ID`.
struct GetCommand<Group: ResourceGroup>: ClientCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "get", abstract: "Show one \(Group.Item.resourceKind).")
    }

    @Argument(help: "Its name or id.") var reference: String
    @OptionGroup var options: ClientOptions

    func run(_ session: CommandSession) async throws {
        try await session.get(Group.collection, reference)
    }
}

/// `<group> delete NAME|ID`.
struct DeleteCommand<Group: ResourceGroup>: ClientCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "delete", abstract: "Delete a \(Group.Item.resourceKind).", aliases: ["rm"])
    }

    @Argument(help: "Its name or id.") var reference: String
    @OptionGroup var options: ClientOptions

    func run(_ session: CommandSession) async throws {
        try await session.delete(Group.collection, reference)
    }
}
