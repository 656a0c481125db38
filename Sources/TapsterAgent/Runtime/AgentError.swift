import TapsterCore

/// Why the agent could not start, enrol or keep going.
public enum AgentError: CodedError, Equatable, CustomStringConvertible {
    case invalidServerAddress(String)
    /// Not enrolled yet and no join token given.
    case joinTokenRequired(dataDirectory: String)
    /// The join token could not be read.
    case invalidJoinToken(String)
    /// The server refused the enrolment (its message).
    case enrolmentRefused(String)
    /// The server could not be reached for enrolment.
    case serverUnreachable(server: String, reason: String)
    /// Another process runs an agent of this name on this host (``AgentInstanceLock``); `lock` names its socket,
    /// `pid` the holder when the kernel said.
    case alreadyRunning(name: String, lock: String, pid: Int32?)
    /// The agent's instance lock could not be taken for another reason.
    case instanceLock(name: String, reason: String)

    /// Stable, for scripts and the DaemonSet's logs: what `tapster agent` and `tapster-agent` end with.
    public var code: String {
        switch self {
        case .invalidServerAddress: "invalid_argument"
        case .joinTokenRequired: "join_token_required"
        case .invalidJoinToken: "invalid_join_token"
        case .enrolmentRefused: "enrolment_refused"
        case .serverUnreachable: "unreachable"
        case .alreadyRunning: "already_running"
        case .instanceLock: "instance_lock"
        }
    }

    public var message: String { description }

    public var description: String {
        switch self {
        case .invalidServerAddress(let text):
            "\"\(text)\" is not a server address: use HOST:PORT, [IPv6]:PORT or HOST"
        case .joinTokenRequired(let directory):
            "this agent is not enrolled (no certificate in \(directory)): give --join-token from `tapster agent token create`"
        case .invalidJoinToken(let reason):
            "the join token is not valid: \(reason)"
        case .enrolmentRefused(let message):
            "the server refused the enrolment: \(message)"
        case .serverUnreachable(let server, let reason):
            "cannot reach the server's agent endpoint \(server): \(reason)"
        case .alreadyRunning(let name, let lock, let pid):
            "an agent named \"\(name)\" already runs on this host (\(pid.map { "pid \($0)" } ?? "a process") holds \(lock)): "
                + "two would take each other's kernel mirrors for their own"
        case .instanceLock(let name, let reason):
            "cannot take the lock of agent \"\(name)\": \(reason)"
        }
    }
}
