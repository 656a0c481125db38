import Foundation
import Synchronization

/// The test run's one Podman, serving the Docker Engine API on a socket of its own
/// (`scripts/podman-for-tests.sh`): started by the first test that asks, in any test process, and reused
/// by every other (the script's `start` is idempotent; `make test` stops it at the end of the run). A missing
/// podman is an error, never a skip.
public enum Podman {
    /// The image every test container runs: busybox-static's applets, built locally by the script.
    public static let image = "localhost/tapster-busybox:test"

    /// The service's unix socket, once it answers.
    /// - Throws: ``CommandFailed`` (with the script's words) when it cannot be started.
    public static func socket() throws -> String {
        try started.withLock { socket in
            if let socket { return socket }
            let script = repositoryRoot.appendingPathComponent("scripts/podman-for-tests.sh").path
            let path = try ProcessRunner.run([script, "start"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            socket = path
            return path
        }
    }

    /// `podman --url unix://<socket> <arguments>`: podman as a client of the test service.
    /// - Throws: ``CommandFailed`` when it exits non-zero.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> ProcessRunner.Output {
        try ProcessRunner.run(["podman", "--url", "unix://\(try socket())"] + arguments)
    }

    private static let started = Mutex<String?>(nil)
}

/// A container a test runs on the test ``Podman``, named `<name>-<6 hex digits>` so that tests running side
/// by side never meet. ``remove()`` (also on deinit) removes it, running or not.
public final class PodmanContainer: Sendable {
    /// The container's name, as the engine reports it.
    public let name: String
    /// The engine's id for it (64 hex digits).
    public let id: String

    /// Runs `command` in a detached container from ``Podman/image`` with `labels`, on the test network or,
    /// with `hostNetwork`, in the host's network namespace. In a namespace of its own, IPv6 is off (as in
    /// ``NetnsTopology``): its eth0 has only its IPv4 address, and sends only what the test makes it send.
    public init(name: String, labels: [String: String] = [:], hostNetwork: Bool = false, command: [String]) throws {
        self.name = "\(name)-\(String(format: "%06x", UInt32.random(in: 0...0xFF_FFFF)))"
        var arguments = ["run", "-d", "--name", self.name]
        arguments += labels.sorted { $0.key < $1.key }.flatMap { ["--label", "\($0.key)=\($0.value)"] }
        arguments += hostNetwork ? ["--network", "host"] : ["--sysctl", "net.ipv6.conf.all.disable_ipv6=1"]
        id = try Podman.run(arguments + [Podman.image] + command).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Its IPv4 address on the test network.
    public func address() throws -> String {
        try inspect("{{.NetworkSettings.IPAddress}}")
    }

    /// Its first process's pid on the host.
    public func pid() throws -> Int32 {
        let text = try inspect("{{.State.Pid}}")
        guard let pid = Int32(text), pid > 0 else { throw CommandFailed(arguments: ["podman", "inspect", name], status: 0, stderr: "pid \(text)") }
        return pid
    }

    /// Its network namespace, as the agent enters it: `/proc/<pid>/ns/net`.
    public func namespacePath() throws -> String {
        "/proc/\(try pid())/ns/net"
    }

    /// Stops it at once (SIGKILL); it stays until removed.
    public func stop() throws {
        try Podman.run(["stop", "-t", "0", name])
    }

    /// Removes it, running or not. Idempotent.
    public func remove() {
        _ = try? Podman.run(["rm", "-f", "-t", "0", "--ignore", name])
    }

    private func inspect(_ format: String) throws -> String {
        try Podman.run(["inspect", "-f", format, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { remove() }
}
