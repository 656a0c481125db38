import ArgumentParser
import TapsterClient

extension OIDCLoginFlow: ExpressibleByArgument {}

/// `tapster login`: saves a server and a token for the next commands.
struct LoginCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in and save the server and an API token.",
        discussion: """
            With --user, asks for the password (without echo; or reads it from standard input with \
            --password-stdin) and saves a new 30-day token. A one-time password (the first admin's, or one \
            an admin set) must be replaced: you are asked for a new one (with --password-stdin, the second line). With --token, checks the token and saves it. \
            With --oidc [PROVIDER], signs in at one of the server's OpenID Connect providers: with a code to enter at the provider \
            (the device grant) where it offers that, else in a browser on this machine; the ID token is saved and refreshed when it expires. \
            The file is $XDG_CONFIG_HOME/tapster/config.json (or ~/.config/tapster/config.json), mode 0600.
            """)

    @Option(help: "The user to log in as.") var user: String?
    @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
    @Flag(help: "Sign in at the server's OpenID Connect provider (named by PROVIDER when it has several).") var oidc = false
    @Argument(help: "With --oidc: the provider's name.") var provider: String?
    @Option(help: "With --oidc: device (a code to enter at the provider) or browser (a browser on this machine); default: device where the provider offers it.")
    var flow: OIDCLoginFlow?
    @OptionGroup var options: ClientOptions

    func validate() throws {
        let ways = [user != nil, options.token != nil, oidc].filter { $0 }.count
        guard ways == 1 else {
            throw ValidationError("give one of --user NAME, --token TOKEN or --oidc [PROVIDER]")
        }
        if !oidc, provider != nil || flow != nil { throw ValidationError("PROVIDER and --flow go with --oidc") }
    }

    func run(_ session: CommandSession) async throws {
        if oidc {
            try await session.loginOIDC(provider: provider, flow: flow)
        } else if let user {
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
