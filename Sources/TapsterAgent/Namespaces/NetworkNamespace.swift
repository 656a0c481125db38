import CNetns
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A network namespace the agent can enter: its own (the host's), a named one under `/var/run/netns`
/// (what `ip netns add` makes), or one given by path, such as a process's `/proc/<pid>/ns/net`.
///
/// Entering changes the namespace of the *calling thread* only, and for good: do it only on a thread you
/// own and that ends with its work — a capture thread, or ``run(_:)``'s thread — never on a thread of
/// Swift's cooperative pool or Dispatch's, which would carry the namespace into unrelated work.
public enum NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The agent's own namespace: the one its main thread is in (normally the host's).
    case host
    /// A namespace named by `ip netns add`, found at `/var/run/netns/<name>`.
    case named(String)
    /// A namespace file, e.g. `/proc/1234/ns/net` or a bind mount of one.
    case path(String)

    /// Where `ip netns add` puts named namespaces.
    public static let namedDirectory = "/var/run/netns"

    /// Reads the reference form the agent channel and the inventory use: empty for the host's namespace,
    /// anything containing `/` for a path, otherwise a name under `/var/run/netns`.
    public init(reference: String) {
        if reference.isEmpty {
            self = .host
        } else if reference.contains("/") {
            self = .path(reference)
        } else {
            self = .named(reference)
        }
    }

    /// The namespace a desired tap names (a name or a path); `nil` is the host's own.
    public init(netns: String?) {
        self.init(reference: netns ?? "")
    }

    /// The reference form: `""`, the name, or the path (the inverse of ``init(reference:)``).
    public var reference: String {
        switch self {
        case .host: ""
        case .named(let name): name
        case .path(let path): path
        }
    }

    /// The file whose descriptor `setns(2)` takes. For ``host`` it is `/proc/self/ns/net`, which names the
    /// namespace of the process's main thread even when read from a thread that has moved elsewhere.
    public var filePath: String {
        switch self {
        case .host: "/proc/self/ns/net"
        case .named(let name): "\(Self.namedDirectory)/\(name)"
        case .path(let path): path
        }
    }

    /// `host`, `netns web`, or the path.
    public var description: String {
        switch self {
        case .host: "host"
        case .named(let name): "netns \(name)"
        case .path(let path): path
        }
    }

    /// Moves the calling thread into this namespace (`open` + `setns(2)`); sockets and libpcap handles it
    /// opens afterwards live there. Only ever call it on a dedicated thread you own (see the type's notes).
    ///
    /// A process's namespace (`/proc/<pid>/ns/net`) is entered only when the path still opens the namespace
    /// the last inventory scan recorded there (``ProcessNamespaceRecord``): the pid may since belong to
    /// another process, whose namespace is not the workload's. A refusal asks for a rescan at once
    /// (``RescanRequests``), so the server learns the workload is gone.
    /// - Throws: ``NamespaceError`` when the namespace cannot be opened (missing, not a namespace), is not
    ///   the one the last scan found at a process's path, or cannot be entered (no `CAP_SYS_ADMIN`).
    public func enterOnCurrentThread() throws(NamespaceError) {
        guard case .path(let path) = self, ProcessNamespaceRecord.isProcessNamespacePath(path) else {
            return try enterOnCurrentThread(expecting: nil)
        }
        guard let recorded = ProcessNamespaceRecord.shared.recorded(at: path) else {
            RescanRequests.shared.request()
            throw NamespaceError(namespace: self, operation: .verify, code: ESRCH)
        }
        do {
            try enterOnCurrentThread(expecting: recorded)
        } catch {
            // The inventory the server holds names a process that is gone: report the change now.
            if error.operation == .verify { RescanRequests.shared.request() }
            throw error
        }
    }

    /// Moves the calling thread into this namespace, after checking, when `expected` is given, that the
    /// file opened (fstat(2) of the descriptor, so no later rename or pid reuse intervenes) is the
    /// namespace `expected` records; otherwise it refuses and stays where it is.
    func enterOnCurrentThread(expecting expected: ProcessNamespaceRecord.Recorded?) throws(NamespaceError) {
        if case .named(let name) = self, name.isEmpty || name == "." || name == ".." || name.contains("/") {
            throw NamespaceError(namespace: self, operation: .open, code: EINVAL)
        }
        let descriptor = open(filePath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw NamespaceError(namespace: self, operation: .open, code: errno) }
        defer { close(descriptor) }
        if let expected, NamespaceIdentity(descriptor: descriptor) != expected.identity {
            throw NamespaceError(namespace: self, operation: .verify, code: ESRCH, workload: expected.workload)
        }
        guard cnetns_enter(descriptor) == 0 else { throw NamespaceError(namespace: self, operation: .enter, code: errno) }
    }
}
