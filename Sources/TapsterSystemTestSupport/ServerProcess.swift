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
    private let scratch: ScratchDirectory
    private let command: [String]
    private var process: BackgroundProcess?
    private var starts = 0

    /// The current (or last) process's output.
    public var log: String { (process?.stdout ?? "") + (process?.stderr ?? "") }
    public var isRunning: Bool { process?.isRunning ?? false }
    /// The running server's process id.
    public var pid: pid_t? { process.flatMap { $0.isRunning ? $0.pid : nil } }

    /// Runs `body` with a started server; `arguments` are added to `tapster serve`'s, and `environment` to
    /// the few variables it runs with. A server whose free port another process took between the probe and its
    /// listen (tests run side by side) is started again on new ports, at most twice more.
    public static func with<T: Sendable>(binary: String, arguments: [String] = [], environment: [String: String] = [:],
                                         _ body: (ServerProcess) async throws -> T) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            let scratch = try ScratchDirectory(label: "server")
            defer { scratch.remove() }
            let server = try ServerProcess(binary: binary, scratch: scratch, arguments: arguments, environment: environment)
            defer { server.process?.stop() }
            do {
                try await server.start()
            } catch let failure as ServerFailed where attempts < 3 && failure.message.contains("Address already in use") {
                continue
            }
            return try await body(server)
        }
    }

    /// A server not started yet, for harnesses that prepare its data directory first (``ReplicaCluster``);
    /// ``discard()`` stops it and removes its files.
    static func prepared(binary: String, arguments: [String], environment: [String: String]) throws -> ServerProcess {
        let scratch = try ScratchDirectory(label: "server")
        do {
            return try ServerProcess(binary: binary, scratch: scratch, arguments: arguments, environment: environment)
        } catch {
            scratch.remove()
            throw error
        }
    }

    /// Stops the server (SIGTERM) and removes its files.
    func discard() {
        process?.stop()
        scratch.remove()
    }

    /// `--data-dir` (the agents' CA in `pki/`, the audit key).
    public var dataDirectory: String { workDirectory + "/data" }

    private init(binary: String, scratch: ScratchDirectory, arguments: [String], environment: [String: String]) throws {
        let port = try freeLoopbackPort(), agentPort = try freeLoopbackPort()
        self.scratch = scratch
        self.workDirectory = scratch.path
        self.url = "http://127.0.0.1:\(port)"
        self.agentAddress = "127.0.0.1:\(agentPort)"
        self.adminToken = "test-admin-" + UUID().uuidString.lowercased()
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        self.command = ["env", "-i", "TAPSTER_ADMIN_TOKEN=\(adminToken)", "HOME=\(scratch.path)", "PATH=/usr/bin:/bin:/usr/sbin:/sbin"]
            + assignments + [binary, "serve", "--listen", "127.0.0.1:\(port)", "--agent-listen", agentAddress,
                        "--data-dir", scratch.path + "/data"] + arguments
    }

    /// Starts (or restarts) the server on the same ports and data, and waits until `/healthz` answers.
    public func start() async throws {
        starts += 1
        let process = try BackgroundProcess(name: "server-\(starts)", command, directory: scratch)
        self.process = process
        try await waitUntilHealthy(process)
    }

    /// `kill -9`: the server vanishes without cleaning up.
    public func kill() { process?.killNow() }

    /// Waits until `/readyz` answers 200: the database answers, the feed listens and agents can connect
    /// (`/healthz` answers before the agent port is open).
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let status = process?.status {
                throw ServerFailed(message: "tapster serve exited with status \(status):\n\(log)")
            }
            let ready = (try? await APIClient.with(server: url, token: nil) { try await $0.ready() }) != nil
            if ready { return }
            guard clock.now < deadline else { throw ServerFailed(message: "tapster serve not ready after \(timeout):\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM and wait.
    public func stop() { process?.stop() }

    /// SIGTERM without waiting, as a service manager stops it; ``waitForExit(timeout:)`` then says how it ended.
    public func terminate() { process?.signal(SIGTERM) }

    /// Waits for the server to exit by itself; its status.
    @discardableResult
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        guard let process else { throw ServerFailed(message: "tapster serve was not started") }
        return try await process.waitForExit(timeout: timeout)
    }

    private func waitUntilHealthy(_ process: BackgroundProcess, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let status = process.status {
                throw ServerFailed(message: "tapster serve exited with status \(status):\n\(log)")
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
}

/// `tapster serve` did not come up.
public struct ServerFailed: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
