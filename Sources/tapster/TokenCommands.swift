import ArgumentParser
import TapsterClient
import TapsterAPI
import TapsterCore

/// `tapster token …`: API tokens, yours or (admins) anyone's.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens.",
        subcommands: [List.self, Create.self, Delete.self],
        aliases: ["tokens"])

    /// `--user U`, the caller by default.
    struct UserOption: ParsableArguments {
        @Option(help: "Whose tokens (default: yours).") var user: String?
    }

    /// `tapster token list`.
    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List API tokens.", aliases: ["ls"])
        @OptionGroup var owner: UserOption
        @OptionGroup var paging: PagingOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.list(Resources.tokens(of: try await session.userName(owner.user)), paging: paging.paging)
        }
    }

    /// `tapster token create --name N`: prints the secret, once.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token and print it (shown only once).")
        @OptionGroup var owner: UserOption
        @Option(help: "What the token is for.") var name: String
        @Option(help: "Stop working after this long, e.g. 30d (default: never).", transform: Parse.duration) var expiresIn: TapDuration?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.createToken(user: owner.user, TokenRequest(name: name, expiresIn: expiresIn))
        }
    }

    /// `tapster token delete ID`.
    struct Delete: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API token.", aliases: ["rm"])
        @Argument(help: "The token's id.") var id: String
        @OptionGroup var owner: UserOption
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.delete(Resources.tokens(of: try await session.userName(owner.user)), id)
        }
    }
}
