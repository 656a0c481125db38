import CNetns
import Glibc
import Synchronization

/// One running agent of a name per host. Two processes of one name would take each other's kernel mirrors for
/// their own — every filter, mark and device carries the name's hash (``KernelMirrorOwner``) — so the second one's
/// start-up sweep would remove the first one's running taps. The second refuses to start instead.
///
/// The lock is an abstract Unix socket (`@tapster-agent/<name>`) bound and listening for the process's life: the
/// kernel frees it when the process ends, however it ends (`kill -9` included), so a restarted agent never finds a
/// stale lock, and nothing is left in the file system. `ss -xlp | grep tapster-agent` shows who holds it. Abstract
/// names belong to a network namespace: agents in one namespace (the host's, for agents that mirror in the kernel)
/// see each other's; an agent in a container without the host's network does not see one outside it.
///
/// Abstract names have no permissions, so any local process could bind one. The lock counts as another agent's
/// when its holder listens (as agents do) as this agent's user or as root; a name held otherwise — by a process that
/// does not listen, keeps its queue of connections full (agents empty theirs), or runs as another user — is not an
/// agent's, and the agent starts without the lock (``squatter`` says who holds it) rather than let that process keep
/// it away, as every agent of the name then does.
public final class AgentInstanceLock: Sendable {
    /// The bound socket while the lock is held; -1 when another process holds the name and is not an agent.
    private let descriptor: Int32
    /// Set when the lock is held.
    private let lifeline: Lifeline?

    /// Who holds the name when it is not an agent (it does not listen, or runs as another user); nil when the
    /// lock is this process's.
    public let squatter: Holder?

    /// A process holding the name.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        /// Its process (nil when it could not be asked, or is in another pid namespace) and user (nil when it could not
        /// be asked: it does not listen, or keeps its queue full — the kernel names a holder only to a connection).
        public var pid: pid_t?
        public var uid: uid_t?

        public var description: String {
            guard let uid else { return "a process that does not listen, or keeps its queue full" }
            return "\(pid.map { "pid \($0)" } ?? "a process of another pid namespace") of uid \(uid)"
        }
    }

    /// Takes the lock of agent `name`.
    /// - Throws: ``AgentError/alreadyRunning(name:lock:pid:)`` when another agent holds it,
    ///   ``AgentError/instanceLock(name:reason:)`` when no socket could be made or the holder could not be asked.
    public init(agent name: String) async throws(AgentError) {
        let lock = Self.abstractName(of: name)
        let address = Self.address(lock)
        var attempt = 0
        while true {
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw AgentError.instanceLock(name: name, reason: String(cString: strerror(errno))) }
            let bound = Self.withAddress(address) { bind(descriptor, $0, $1) }
            if bound == 0, listen(descriptor, 128) == 0 {
                let lifeline = Lifeline()
                let started = Self.acceptAndClose(on: descriptor, lifeline: lifeline)
                guard started == 0 else {
                    close(descriptor)
                    throw AgentError.instanceLock(name: name, reason: "no thread for the lock: \(String(cString: strerror(started)))")
                }
                self.descriptor = descriptor
                self.lifeline = lifeline
                self.squatter = nil
                return
            }
            let code = errno
            close(descriptor)
            guard bound != 0, code == EADDRINUSE else { throw AgentError.instanceLock(name: name, reason: String(cString: strerror(code))) }
            switch Self.probe(address) {
            case .listening(let holder):
                // A listener of another user could not mirror in the kernel: no agent.
                guard holder.uid != geteuid(), holder.uid != 0 else { throw AgentError.alreadyRunning(name: name, lock: "@" + lock, pid: holder.pid) }
                self.descriptor = -1
                self.lifeline = nil
                self.squatter = holder
                return
            case .refusing, .full:
                // An agent between its bind and its listen, one that has just exited, or one whose queue has not been
                // emptied yet: a few more tries before the holder counts as no agent (agents listen, and empty their queue).
                guard attempt == Self.moreAttempts else {
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(20))
                    continue
                }
                self.descriptor = -1
                self.lifeline = nil
                self.squatter = Holder(pid: nil, uid: nil)
                return
            case .failed(let code):
                throw AgentError.instanceLock(name: name, reason: "asking the holder of @\(lock): \(String(cString: strerror(code)))")
            }
        }
    }

    /// How many more times a name whose holder refuses connections, or has a full queue, is tried (20 ms apart: a
    /// second in all, for an agent whose lock thread was not scheduled for a while).
    static let moreAttempts = 50

    /// The holder is asked by the lock's own thread to let go (``acceptAndClose(on:lifeline:)``, which closes the
    /// socket): closed here, its number could be reused under a thread still about to accept on it.
    deinit {
        guard let lifeline else { return }
        lifeline.closing.store(true, ordering: .releasing)
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Whether the lock is being let go: the one reason its thread closes the socket.
    private final class Lifeline: Sendable {
        let closing = Atomic<Bool>(false)
    }

    /// Accepts and closes, on a thread of its own, the connections of agents asking who holds the lock (``probe(_:)``),
    /// so that the lock's queue never stays full — a full queue is then a process that is no agent. Ends, closing the
    /// socket, once ``deinit`` has shut it down; any other failure (no descriptor left, no memory) is waited out, so the
    /// lock is never let go while the agent runs.
    /// - Returns: 0, or the error number of the thread that could not be started.
    private static func acceptAndClose(on descriptor: Int32, lifeline: Lifeline) -> Int32 {
        DetachedThread.start(name: "tapster-lock") {
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection >= 0 {
                    close(connection)
                } else if lifeline.closing.load(ordering: .acquiring) {
                    close(descriptor)
                    return
                } else if errno != EINTR, errno != ECONNABORTED {
                    usleep(100_000)
                }
            }
        }
    }

    /// What asking the holder of a name found.
    private enum Probe {
        /// It listens: its credentials, as of its `listen`.
        case listening(Holder)
        /// It refuses connections: bound, not (yet) listening.
        case refusing
        /// Its queue of connections is full.
        case full
        /// The question could not be asked (the error number).
        case failed(Int32)
    }

    /// Connects to the holder of `address` and reads its credentials (SO_PEERCRED).
    private static func probe(_ address: (sockaddr_un, socklen_t)) -> Probe {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard probe >= 0 else { return .failed(errno) }
        defer { close(probe) }
        guard withAddress(address, { connect(probe, $0, $1) }) == 0 else {
            switch errno {
            case ECONNREFUSED: return .refusing
            case EAGAIN: return .full
            case let code: return .failed(code)
            }
        }
        var (pid, uid) = (pid_t(0), uid_t(0))
        guard cnetns_peer_credentials(probe, &pid, &uid) == 0 else { return .failed(errno) }
        // 0: the holder is outside this process's pid namespace.
        return .listening(Holder(pid: pid == 0 ? nil : pid, uid: uid))
    }

    /// The abstract address of `name`: a NUL byte first, then the name's bytes (no terminator: the address's length
    /// ends it), and that length.
    static func address(_ name: String) -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8.prefix(maximumLength))
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            for (offset, byte) in bytes.enumerated() { path[offset + 1] = byte }
        }
        return (address, socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count))
    }

    /// Calls `body` with `address` as the `sockaddr` pointer and length `bind`/`connect` take.
    static func withAddress(_ address: (sockaddr_un, socklen_t), _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var storage = address.0
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, address.1) } }
    }

    /// The lock's abstract socket name for agent `name`: `tapster-agent/<name>`, cut to what an address holds (107
    /// bytes after the leading NUL) with the name's hash kept at the end when cut, so that long names stay apart.
    static func abstractName(of name: String) -> String {
        let whole = "tapster-agent/" + name
        guard whole.utf8.count > maximumLength else { return whole }
        let hash = "/" + KernelMirrorNames.hex(KernelMirrorNames.fnv1a(name))
        var kept = ""
        for character in whole {
            guard kept.utf8.count + character.utf8.count + hash.utf8.count <= maximumLength else { break }
            kept.append(character)
        }
        return kept + hash
    }

    /// The most bytes of an abstract name (`sun_path` less its leading NUL).
    static let maximumLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
}
