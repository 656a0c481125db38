import Foundation
import TapsterClient

/// A real `tapster serve` on a free loopback port with a temporary data directory, for the
/// duration of `body`; always stopped and cleaned up afterwards, whatever happens.
struct ServerProcess: Sendable {
    let url: String
    let adminToken: String
    let workDirectory: String
    private let logPath: String

    /// The server's output so far (for failure messages).
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    static func with<T: Sendable>(binary: String, _ body: (ServerProcess) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "tapster-cli-test")
        defer { directory.remove() }
        let port = try freeLoopbackPort()
        let logPath = directory.path + "/server.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let adminToken = "cli-test-admin-" + UUID().uuidString.lowercased()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", directory.path + "/data"]
        process.environment = ["TAPSTER_ADMIN_TOKEN": adminToken, "HOME": directory.path, "PATH": "/usr/bin:/bin"]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { stop(process) }
        let server = ServerProcess(url: "http://127.0.0.1:\(port)", adminToken: adminToken, workDirectory: directory.path, logPath: logPath)
        try await server.waitUntilHealthy(process)
        return try await body(server)
    }

    /// Polls `GET /healthz` until it answers, the process dies, or the deadline passes.
    private func waitUntilHealthy(_ process: Process, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            guard process.isRunning else {
                throw ServerFailed(message: "tapster serve exited with status \(process.terminationStatus):\n\(log)")
            }
            do {
                try await APIClient.with(server: url, token: nil) { try await $0.health() }
                return
            } catch {
                guard clock.now < deadline else {
                    throw ServerFailed(message: "tapster serve not healthy after \(timeout) (\(error)):\n\(log)")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s.
    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// `tapster serve` did not come up.
struct ServerFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
