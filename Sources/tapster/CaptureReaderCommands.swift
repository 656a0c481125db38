import ArgumentParser
import TapsterClient

extension CaptureCommand {
    /// `tapster capture readers list|add|remove ID [USER]`: whom else an admin lets read a capture's packets.
    struct Readers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "readers", abstract: "Who besides its owner and admins may read a capture's packets (admins entitle).",
            discussion: """
                tapster capture readers add 3f2b… audrey      an auditor, or an owner of the capture's tenant
                tapster capture readers remove 3f2b… audrey
                """,
            subcommands: [List.self, Add.self, Remove.self], aliases: ["reader"])

        /// `tapster capture readers list ID`.
        struct List: ClientCommand {
            static let configuration = CommandConfiguration(abstract: "List the users entitled to read a capture's packets.", aliases: ["ls"])
            @Argument(help: "The capture's id.") var id: String
            @OptionGroup var options: ClientOptions

            func run(_ session: CommandSession) async throws {
                try await session.listCaptureReaders(id)
            }
        }

        /// `tapster capture readers add ID USER`.
        struct Add: ClientCommand {
            static let configuration = CommandConfiguration(abstract: "Entitle an auditor or an owner of the capture's tenant to read its packets (admins).")
            @Argument(help: "The capture's id.") var id: String
            @Argument(help: "The user's name or id.") var user: String
            @OptionGroup var options: ClientOptions

            func run(_ session: CommandSession) async throws {
                try await session.addCaptureReader(id, user: user)
            }
        }

        /// `tapster capture readers remove ID USER`.
        struct Remove: ClientCommand {
            static let configuration = CommandConfiguration(abstract: "End a user's entitlement to read a capture's packets (admins).", aliases: ["rm"])
            @Argument(help: "The capture's id.") var id: String
            @Argument(help: "The user's name or id.") var user: String
            @OptionGroup var options: ClientOptions

            func run(_ session: CommandSession) async throws {
                try await session.removeCaptureReader(id, user: user)
            }
        }
    }
}
