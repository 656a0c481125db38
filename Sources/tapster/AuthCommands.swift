import ArgumentParser
import TapsterCore
import TapsterServer

/// `tapster auth check`: tries an identity configuration's providers before a server relies on them.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Check the identity providers a server is to trust.",
        subcommands: [AuthCheckCommand.self])
}

struct AuthCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Fetch each provider's discovery document and keys, and say what they offer.",
        discussion: "Reads the file `tapster serve --identity-config` would; exits 1 when anything failed.")

    @Option(name: .customLong("identity-config"), help: "The identity configuration file (YAML).")
    var identityConfig: String

    func run() async throws {
        let configuration: IdentityConfiguration
        do {
            configuration = try IdentityConfiguration.load(path: identityConfig)
        } catch {
            throw ValidationError(error.message)
        }
        let findings = await IdentityConfigurationCheck.run(configuration)
        for finding in findings { print((finding.ok ? "ok    " : "FAIL  ") + finding.text) }
        if findings.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}
