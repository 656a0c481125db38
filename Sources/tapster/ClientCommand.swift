import ArgumentParser
import TapsterClient
import TapsterCore

/// A client verb: it declares its flags and does its work with a ``CommandSession``;
/// resolving the server and token, and reporting failures, happen here once for all.
protocol ClientCommand: AsyncParsableCommand {
    var options: ClientOptions { get }
    func run(_ session: CommandSession) async throws
}

extension ClientCommand {
    func run() async throws {
        let status = await CommandRunner.run(server: options.server, token: options.token, output: options.output) { session in
            try await run(session)
        }
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}
