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
        let scratch = try ScratchDirectory(label: "tapster-cli-run")
        defer { scratch.remove() }
        let inPath = scratch.path + "/stdin", outPath = scratch.path + "/stdout", errPath = scratch.path + "/stderr"
        FileManager.default.createFile(atPath: inPath, contents: Data((input ?? "").utf8))
        // Spawned as every other test process is (``ChildProcess``, posix_spawn): Foundation's `Process.run()`
        // crashed in the suite (a bad pointer in its memcpy) while many tests started processes at once.
        let child = try ChildProcess(["/usr/bin/env", "-i"] + Self.assignments(environment(token: token)) + [binary] + arguments,
                                     stdinPath: inPath, stdoutPath: outPath, stderrPath: errPath)
        // Polled, not waited for: a blocking wait would hold one of the cooperative pool's two threads.
        while child.status == nil {
            do {
                try await Task.sleep(for: .milliseconds(5))
            } catch {
                child.terminate(grace: .seconds(1))
                throw error
            }
        }
        return CLIResult(status: child.status ?? -1,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
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
    /// command `pipingStdoutTo` (`tapster … | <command>`, run by bash).
    public func start(_ arguments: [String], name: String, token: String? = nil, pipingStdoutTo consumer: String? = nil,
                      directory: ScratchDirectory) throws -> BackgroundProcess {
        let command = consumer.map { ["/bin/bash", "-c", "\"$0\" \"$@\" | \($0)", binary] } ?? [binary]
        return try BackgroundProcess(name: name, ["/usr/bin/env", "-i"] + Self.assignments(environment(token: token)) + command + arguments,
                                     directory: directory)
    }
}
