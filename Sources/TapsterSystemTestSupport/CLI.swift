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
        let outPath = scratch.path + "/stdout", errPath = scratch.path + "/stderr"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = self.environment
        environment["TAPSTER_TOKEN"] = token
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let stdin = Pipe()
        process.standardInput = stdin
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
            try? stdin.fileHandleForWriting.close()
        }
        return CLIResult(status: status,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Starts `tapster <arguments>` in the background with this environment (only it, as ``run(_:token:input:)``
    /// does); its output goes to `<directory>/<name>.out` and `.err`, or its standard output into the shell
    /// command `pipingStdoutTo` (`tapster … | <command>`, run by bash).
    public func start(_ arguments: [String], name: String, token: String? = nil, pipingStdoutTo consumer: String? = nil,
                      directory: ScratchDirectory) throws -> BackgroundProcess {
        var environment = self.environment
        environment["TAPSTER_TOKEN"] = token
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let command = consumer.map { ["/bin/bash", "-c", "\"$0\" \"$@\" | \($0)", binary] } ?? [binary]
        return try BackgroundProcess(name: name, ["/usr/bin/env", "-i"] + assignments + command + arguments, directory: directory)
    }
}
