import ArgumentParser
import TapsterClient
import TapsterAPI
import TapsterCore

/// `tapster user …`.
struct UserCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.",
        subcommands: [ListCommand<Self>.self, GetCommand<Self>.self, Create.self, Update.self, Disable.self, Enable.self,
                      DeleteCommand<Self>.self, Passwd.self],
        aliases: ["users"])
    static let collection = Resources.users

    /// `tapster user create NAME --role …`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")
        @Argument(help: "The user's name.") var name: String
        @Option(help: "The role.") var role: Role
        @Option(name: .customLong("tenant"), help: "A tenant an owner belongs to (repeat for several).") var tenants: [String] = []
        @Option(help: "How many live taps an owner may have.") var quota: Int?
        @Flag(help: "Read an initial password from standard input (else the user has only API tokens until one is set).")
        var passwordStdin = false
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            let password = passwordStdin ? try PasswordReader.read(prompt: "", fromStandardInput: true) : nil
            try await session.create(Resources.users, UserCreateRequest(
                name: name, role: role, tenants: tenants.isEmpty ? nil : tenants, quota: quota, password: password))
        }
    }

    /// `tapster user update NAME [--role] [--tenant]… [--quota]`.
    struct Update: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's role, tenants or quota.")
        @Argument(help: "The user's name.") var name: String
        @Option(help: "The role.") var role: Role?
        @Option(name: .customLong("tenant"), help: "The tenants (replace the current ones; repeat for several).") var tenants: [String] = []
        @Option(help: "How many live taps an owner may have.") var quota: Int?
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard role != nil || !tenants.isEmpty || quota != nil else {
                throw ValidationError("nothing to change: give --role, --tenant or --quota")
            }
        }

        func run(_ session: CommandSession) async throws {
            try await session.update(Resources.users, name, UserPatch(role: role, tenants: tenants.isEmpty ? nil : tenants, quota: quota))
        }
    }

    /// `tapster user disable NAME`.
    struct Disable: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: sign them out everywhere, revoke their API tokens and stop their live taps and captures.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.update(Resources.users, name, UserPatch(disabled: true))
        }
    }

    /// `tapster user enable NAME`.
    struct Enable: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user sign in again.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.update(Resources.users, name, UserPatch(disabled: false))
        }
    }

    /// `tapster user passwd [NAME]`.
    struct Passwd: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change your password, or (admins) set another user's one-time password.",
            discussion: """
                With --password-stdin, your own change reads two lines: the current password, then the new one. \
                Setting another user's password signs them out everywhere and revokes their API tokens.
                """)
        @Argument(help: "Another user whose password to set (admins only).") var name: String?
        @Flag(help: "Read the password(s) from standard input.") var passwordStdin = false
        @Flag(help: "Also revoke every other session and API token of yours (the one this command uses stays).")
        var revokeOthers = false
        @OptionGroup var options: ClientOptions

        func validate() throws {
            if name != nil, revokeOthers {
                throw ValidationError("--revoke-others is for your own password; another user's are always revoked")
            }
        }

        func run(_ session: CommandSession) async throws {
            if let name {
                let new = try PasswordReader.readNew(prompt: "New password for \(name): ", fromStandardInput: passwordStdin)
                try await session.resetPassword(of: name, to: new)
            } else {
                let current = try PasswordReader.read(prompt: "Current password: ", fromStandardInput: passwordStdin)
                let new = try PasswordReader.readNew(prompt: "New password: ", fromStandardInput: passwordStdin)
                try await session.changeOwnPassword(current: current, new: new, revokeOthers: revokeOthers)
            }
        }
    }
}
