import Foundation
import TapsterClient

/// A real `tapster serve` on free loopback ports (API and agent endpoint) with a temporary data directory.
/// `with` stops it and removes its files whatever happens; a test may also kill and restart it.
public final class ServerProcess: @unchecked Sendable {
    public let url: String
    /// The agent endpoint, `127.0.0.1:PORT`.
    public let agentAddress: String
    public let adminToken: String
    public let workDirectory: String
    private let binary: String
    private let arguments: [String]
    private var process: ManagedProcess?
    private var starts = 0

    /// The current (or last) process's output.
    public var log: String { process?.log ?? "" }
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Runs `body` with a started server; `arguments` are added to `tapster serve`'s.
    public static func with<T: Sendable>(binary: String, arguments: [String] = [],
                                         _ body: (ServerProcess) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "tapster-server")
        defer { directory.remove() }
        let server = try ServerProcess(binary: binary, directory: directory.path, arguments: arguments)
        defer { server.process?.stop() }
        try await server.start()
        return try await body(server)
    }

    private init(binary: String, directory: String, arguments: [String]) throws {
        let port = try freeLoopbackPort(), agentPort = try freeLoopbackPort()
        self.binary = binary
        self.workDirectory = directory
        self.url = "http://127.0.0.1:\(port)"
        self.agentAddress = "127.0.0.1:\(agentPort)"
        self.adminToken = "test-admin-" + UUID().uuidString.lowercased()
        self.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--agent-listen", agentAddress,
                          "--data-dir", directory + "/data"] + arguments
    }

    /// Starts (or restarts) the server on the same ports and data, and waits until `/healthz` answers.
    public func start() async throws {
        starts += 1
        let process = try ManagedProcess(
            name: "tapster serve", executable: binary, arguments: arguments,
            environment: ["TAPSTER_ADMIN_TOKEN": adminToken, "HOME": workDirectory, "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"],
            logPath: workDirectory + "/server-\(starts).log")
        self.process = process
        try await waitUntilHealthy(process)
    }

    /// `kill -9`: the server vanishes without cleaning up.
    public func kill() { process?.killNow() }

    /// SIGTERM and wait.
    public func stop() { process?.stop() }

    private func waitUntilHealthy(_ process: ManagedProcess, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            guard process.isRunning else {
                throw ServerFailed(message: "tapster serve exited with status \(process.terminationStatus):\n\(process.log)")
            }
            do {
                try await APIClient.with(server: url, token: nil) { try await $0.health() }
                return
            } catch {
                guard clock.now < deadline else {
                    throw ServerFailed(message: "tapster serve not healthy after \(timeout) (\(error)):\n\(process.log)")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// `tapster serve` did not come up.
public struct ServerFailed: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
