import Glibc

/// One running agent of a name per host. Two processes of one name would take each other's kernel mirrors for
/// their own — every filter, mark and device carries the name's hash (``KernelMirrorOwner``) — so the second one's
/// start-up sweep would remove the first one's running taps. The second refuses to start instead.
///
/// The lock is an abstract Unix socket (`@tapster-agent/<name>`) bound for the process's life: the kernel frees it
/// when the process ends, however it ends (`kill -9` included), so a restarted agent never finds a stale lock, and
/// nothing is left in the file system. `ss -xlp | grep tapster-agent` shows who holds it. Abstract names belong to a
/// network namespace: the host's, where agents that mirror in the kernel run.
final class AgentInstanceLock: Sendable {
    /// The bound socket; the lock is held while it is open.
    private let descriptor: Int32

    /// Takes the lock of agent `name`.
    /// - Throws: ``AgentError/alreadyRunning(name:lock:)`` when another process holds it,
    ///   ``AgentError/instanceLock(name:reason:)`` when no socket could be made.
    init(agent name: String) throws(AgentError) {
        let lock = Self.abstractName(of: name)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw AgentError.instanceLock(name: name, reason: String(cString: strerror(errno))) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract name: a NUL byte first, then the name's bytes (no terminator; its length is the address's).
        let bytes = Array(lock.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            for (offset, byte) in bytes.enumerated() { path[offset + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            if code == EADDRINUSE { throw AgentError.alreadyRunning(name: name, lock: "@" + lock) }
            throw AgentError.instanceLock(name: name, reason: String(cString: strerror(code)))
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

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
