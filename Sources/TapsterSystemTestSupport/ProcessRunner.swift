import Foundation

/// Runs commands for tests: to completion (``run(_:input:allowFailure:)``), or in the background
/// (``BackgroundProcess``). Commands are looked up on a fixed system `PATH`, so a developer's own
/// `PATH` (pyenv shims and the like) does not change what runs.
public enum ProcessRunner {
    /// The `PATH` commands run with.
    public static let systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// What a finished command printed, and how it exited.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `arguments` (the first is the command) to completion, feeding it `input`. Blocks the calling
    /// thread: for short commands (`ip`, `sysctl`).
    /// - Throws: ``CommandFailed`` when it exits non-zero, unless `allowFailure`.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil, allowFailure: Bool = false) throws -> Output {
        let directory = try ScratchDirectory(label: "run")
        defer { directory.remove() }
        let path = { (name: String) in directory.url.appendingPathComponent(name).path }
        if let input { try input.write(toFile: path("stdin"), atomically: false, encoding: .utf8) }
        let child = try ChildProcess(arguments, stdinPath: input == nil ? nil : path("stdin"),
                                     stdoutPath: path("stdout"), stderrPath: path("stderr"))
        let status = child.waitUntilExit()
        let output = Output(status: status,
                            stdout: (try? String(contentsOfFile: path("stdout"), encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOfFile: path("stderr"), encoding: .utf8)) ?? "")
        if output.status != 0, !allowFailure {
            throw CommandFailed(arguments: arguments, status: output.status, stderr: output.stderr)
        }
        return output
    }

    /// Runs `arguments` to completion, feeding it `input`, without holding a thread: the child is polled, not
    /// waited for (a blocking wait would hold one of the cooperative pool's two threads, and every other test
    /// with it). For commands that take seconds (`tapster`, `openstack`). Never throws for a non-zero exit:
    /// the status is in the output. Cancelling the task stops the command.
    public static func output(_ arguments: [String], input: String = "") async throws -> Output {
        let scratch = try ScratchDirectory(label: "run")
        defer { scratch.remove() }
        let inPath = scratch.path + "/stdin", outPath = scratch.path + "/stdout", errPath = scratch.path + "/stderr"
        _ = FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8))
        // Spawned as every other test process is (``ChildProcess``, posix_spawn): Foundation's `Process.run()`
        // crashed in the suite (a bad pointer in its memcpy) while many tests started processes at once.
        let child = try ChildProcess(arguments, stdinPath: inPath, stdoutPath: outPath, stderrPath: errPath)
        while child.status == nil {
            do {
                try await Task.sleep(for: .milliseconds(5))
            } catch {
                child.terminate(grace: .seconds(1))
                throw error
            }
        }
        return Output(status: child.status ?? -1,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// The environment commands get: ours, with ``systemPath``.
    public static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = systemPath
        return environment
    }
}

/// A command exited non-zero.
public struct CommandFailed: Error, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let stderr: String
    public var description: String { "`\(arguments.joined(separator: " "))` exited \(status): \(stderr)" }
}
