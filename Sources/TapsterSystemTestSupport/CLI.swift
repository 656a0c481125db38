import Foundation

/// What one run of the `tapster` executable did.
public struct CLIResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Standard error's non-empty lines.
    public var errorLines: [String] { stderr.split(separator: "\n").map(String.init) }

    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs the real `tapster` binary, as a user would, with a controlled environment.
public struct CLI: Sendable {
    public let binary: String
    /// The environment every run gets (HOME and XDG_CONFIG_HOME inside a temporary directory).
    public var environment: [String: String]

    public init(binary: String, home: String, server: String?) {
        self.binary = binary
        var environment = ["HOME": home, "XDG_CONFIG_HOME": home + "/config", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        environment["TAPSTER_SERVER"] = server
        self.environment = environment
    }

    /// Runs `tapster <arguments>`; `token` becomes `TAPSTER_TOKEN`; `input` is standard input.
    public func run(_ arguments: [String], token: String? = nil, input: String? = nil) async throws -> CLIResult {
        let output = try await ProcessRunner.output(["/usr/bin/env", "-i"] + Self.assignments(environment(token: token)) + [binary] + arguments,
                                                    input: input ?? "")
        return CLIResult(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }

    /// This CLI's environment with `token` as `TAPSTER_TOKEN`.
    private func environment(token: String?) -> [String: String] {
        var environment = self.environment
        environment["TAPSTER_TOKEN"] = token
        return environment
    }

    /// `KEY=value` arguments of `env -i`, in a stable order.
    private static func assignments(_ environment: [String: String]) -> [String] {
        environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// Starts `tapster <arguments>` in the background with this environment (only it, as ``run(_:token:input:)``
    /// does); its output goes to `<directory>/<name>.out` and `.err`, or its standard output into the shell
    /// command `pipingStdoutTo` (`tapster … | <command>`, run by bash), or into the file `writingStdoutTo`
    /// (`/dev/full`: every write fails).
    public func start(_ arguments: [String], name: String, token: String? = nil, pipingStdoutTo consumer: String? = nil,
                      writingStdoutTo file: String? = nil, directory: ScratchDirectory) throws -> BackgroundProcess {
        precondition(consumer == nil || file == nil, "standard output goes into a command or a file, not both")
        let command = if let consumer {
            ["/bin/bash", "-c", "\"$0\" \"$@\" | \(consumer)", binary]
        } else if let file {
            // The file's path as bash's first argument after the executable's: no quoting to get wrong.
            ["/bin/bash", "-c", "file=$1; shift; exec \"$0\" \"$@\" > \"$file\"", binary, file]
        } else {
            [binary]
        }
        return try BackgroundProcess(name: name, ["/usr/bin/env", "-i"] + Self.assignments(environment(token: token)) + command + arguments,
                                     directory: directory)
    }
}
