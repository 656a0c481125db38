import Foundation

/// A background process a test started — a server, an agent, a `tshark` — whose output goes to a log file,
/// and which the test stops (SIGTERM, then SIGKILL) or kills (SIGKILL) however the test ends.
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let logPath: String
    private let process = Process()

    /// Starts `executable arguments…` with `environment` (nothing inherited), output into `logPath`.
    public init(name: String, executable: String, arguments: [String], environment: [String: String]? = nil,
                logPath: String) throws {
        self.name = name
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: Int32 { process.processIdentifier }
    public var terminationStatus: Int32 { process.terminationStatus }

    /// What the process has written so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` (e.g. SIGINT) without waiting.
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func stop(grace: TimeInterval = 10) {
        guard process.isRunning else { return }
        process.terminate()
        waitForExit(within: grace)
        if process.isRunning { killNow() }
    }

    /// SIGKILL, as `kill -9` would, and wait for the exit.
    public func killNow() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits up to `seconds` for the process to exit by itself; whether it did.
    @discardableResult
    public func waitForExit(within seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }

    deinit { stop(grace: 2) }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; whether it held.
public func poll(timeout: Duration, interval: Duration = .milliseconds(50),
                 _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if try await condition() { return true }
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}
