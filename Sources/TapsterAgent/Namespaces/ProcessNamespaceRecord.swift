import Synchronization

/// The namespaces of processes as the last inventory scan found them: for each `/proc/<pid>/ns/net` it
/// reported, the workload it reported it as and the namespace's nsfs identity then.
///
/// A process namespace is known to the server only by that path, which names whatever process holds the
/// pid *now*: if the process ends and its pid goes to another (another tenant's) process, the path leads to
/// that process's namespace. The agent therefore enters a process namespace only when the namespace the
/// path opens is the one the last scan recorded for it (``NetworkNamespace/enterOnCurrentThread()``).
final class ProcessNamespaceRecord: Sendable {
    /// What a scan recorded for one path.
    struct Recorded: Hashable, Sendable {
        /// The workload the namespace was reported as, `pid-<pid>-<comm>`.
        var workload: String
        /// The namespace's nsfs device and inode when it was scanned.
        var identity: NamespaceIdentity
    }

    /// The agent's record, which its scans keep and every entry into a process namespace checks.
    static let shared = ProcessNamespaceRecord()

    private let recorded = Mutex<[String: Recorded]>([:])

    /// Replaces the record with what a scan of the process namespaces found, by path.
    func replace(with recorded: [String: Recorded]) {
        self.recorded.withLock { $0 = recorded }
    }

    /// What the last scan recorded for `path`; nil when it reported no namespace there.
    func recorded(at path: String) -> Recorded? {
        recorded.withLock { $0[path] }
    }

    /// Whether `path` is a process's namespace file, `/proc/<pid>/ns/net`, which a scan records.
    static func isProcessNamespacePath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[0].isEmpty && parts[1] == "proc" && !parts[2].isEmpty
            && parts[2].allSatisfy { $0.isASCII && $0.isNumber } && parts[3] == "ns" && parts[4] == "net"
    }
}
