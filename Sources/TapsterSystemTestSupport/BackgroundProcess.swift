import Foundation

/// A command a test runs in the background — a listener, a `tshark` — with stdout and stderr in files
/// of its own. ``stop()`` (also run on deinit) terminates its whole process group.
public final class BackgroundProcess: @unchecked Sendable {
    /// For messages.
    public let name: String
    public let stdoutPath: String
    public let stderrPath: String
    private let child: ChildProcess

    /// Starts `arguments` (the first is the command, looked up on ``ProcessRunner/systemPath``), its output
    /// in `<directory>/<name>.out` and `.err`.
    public init(name: String, _ arguments: [String], directory: ScratchDirectory) throws {
        self.name = name
        stdoutPath = directory.url.appendingPathComponent("\(name).out").path
        stderrPath = directory.url.appendingPathComponent("\(name).err").path
        child = try ChildProcess(arguments, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    public var isRunning: Bool { child.isRunning }
    /// Its process id (also its process group's).
    public var pid: pid_t { child.pid }
    /// The exit status, nil while it runs.
    public var status: Int32? { child.status }

    /// What it has printed so far.
    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until its stdout or stderr contains `text`.
    /// - Throws: ``TimedOut``, or ``ProcessEnded`` (with what it printed) when it exits first.
    public func waitForOutput(_ text: String, timeout: Duration = .seconds(15)) async throws {
        try await eventually(timeout: timeout, "\(name) to print \"\(text)\"") { () -> Bool? in
            if self.stdout.contains(text) || self.stderr.contains(text) { return true }
            if let status = self.status { throw ProcessEnded(name: self.name, status: status, stderr: self.stderr) }
            return nil
        }
    }

    /// Waits for it to exit by itself; returns its status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await eventually(timeout: timeout, every: .milliseconds(10), "\(name) to exit") { self.status }
    }

    /// SIGTERM to its process group (tshark finishes its output), then SIGKILL after `grace`.
    public func stop(grace: Duration = .seconds(5)) {
        child.terminate(grace: grace)
    }

    /// `kill -9` to its process group, as a crash would; returns once it has exited.
    public func killNow() {
        child.signalGroup(SIGKILL)
        _ = child.waitUntilExit()
    }

    /// Sends `signal` (e.g. SIGINT) to its process group without waiting.
    public func signal(_ signal: Int32) {
        child.signalGroup(signal)
    }

    deinit { stop(grace: .seconds(1)) }
}

/// A background process exited while a test waited for it.
public struct ProcessEnded: Error, CustomStringConvertible {
    public let name: String
    public let status: Int32
    public let stderr: String
    public var description: String { "\(name) exited with status \(status): \(stderr)" }
}
