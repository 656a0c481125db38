import Foundation

/// A child process started with `posix_spawn` in a process group of its own, its standard streams
/// redirected to files, and reaped by this object alone (`waitpid` on its pid), so its exit is seen at
/// once from any thread and a whole tree — `ip netns exec tshark` and the `dumpcap` it starts — is
/// signalled together.
public final class ChildProcess: @unchecked Sendable {
    /// The child's pid, which is also its process group.
    public let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `arguments` (the first is the command, looked up on ``ProcessRunner/systemPath``) with
    /// stdin from `stdinPath` (or /dev/null) and stdout and stderr into the given files (created or
    /// truncated). Signals are reset to their defaults in the child.
    public init(_ arguments: [String], stdinPath: String? = nil, stdoutPath: String, stderrPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = (["env"] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessRunner.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, "/usr/bin/env", &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnFailed(arguments: arguments, code: result) }
        pid = child
    }

    /// The exit status (128 + signal when killed), or nil while it runs. Reaps the child once it has exited.
    public var status: Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            guard result == pid else { return nil }
            let signal = raw & 0x7f
            exitStatus = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return exitStatus
        }
    }

    public var isRunning: Bool { status == nil }

    /// Blocks the calling thread until the child exits; its status.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        while true {
            if let status { return status }
            usleep(2_000)
        }
    }

    /// Sends `signal` to the child's whole process group.
    public func signalGroup(_ signal: Int32) {
        if isRunning { kill(-pid, signal) }
    }

    /// SIGTERM to the group, then SIGKILL after `grace`; waits for the exit. Idempotent.
    public func terminate(grace: Duration) {
        guard isRunning else { return }
        signalGroup(SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while isRunning, clock.now < deadline { usleep(5_000) }
        if isRunning {
            signalGroup(SIGKILL)
            waitUntilExit()
        }
        // Whatever the child left in its group (a capture helper) goes too.
        kill(-pid, SIGKILL)
    }
}

/// `posix_spawn` refused a command.
public struct SpawnFailed: Error, CustomStringConvertible {
    public let arguments: [String]
    public let code: Int32
    public var description: String { "cannot start `\(arguments.joined(separator: " "))`: \(String(cString: strerror(code)))" }
}
