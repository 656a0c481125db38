import ArgumentParser
import TapsterClient

/// `tapster login`: saves a server and a token for the next commands.
struct LoginCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in and save the server and an API token.",
        discussion: """
            With --user, asks for the password (without echo; or reads it from standard input with \
            --password-stdin) and saves a new 30-day token. A one-time password (the first admin's, or one \
            an admin set) must be replaced: you are asked for a new one (with --password-stdin, the second line). With --token, checks the token and saves it. \
            The file is $XDG_CONFIG_HOME/tapster/config.json (or ~/.config/tapster/config.json), mode 0600.
            """)

    @Option(help: "The user to log in as.") var user: String?
    @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard (user == nil) != (options.token == nil) else {
            throw ValidationError("give either --user NAME or --token TOKEN")
        }
    }

    func run(_ session: CommandSession) async throws {
        if let user {
            let password = try PasswordReader.read(prompt: "Password for \(user): ", fromStandardInput: passwordStdin)
            try await session.login(user: user, password: password) {
                try PasswordReader.readNew(prompt: "New password for \(user): ", fromStandardInput: passwordStdin)
            }
        } else if let token = options.token {
            try await session.login(token: token)
        }
    }
}

/// `tapster logout`: revokes and forgets the saved token.
struct LogoutCommand: ClientCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke and forget the saved API token.")

    @OptionGroup var options: ClientOptions

    func run(_ session: CommandSession) async throws {
        try await session.logout()
    }
}

/// `tapster whoami`.
struct WhoamiCommand: ClientCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the user the token acts as.")

    @OptionGroup var options: ClientOptions

    func run(_ session: CommandSession) async throws {
        try session.show(try await session.whoami())
    }
}
