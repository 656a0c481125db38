#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Why a thread could not move into a network namespace, or no thread could be started to move there.
public struct NamespaceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Operation: String, Hashable, Sendable {
        /// Opening the namespace file (it does not exist, or is no namespace).
        case open
        /// `setns(2)` (the file is not a network namespace, or the agent lacks `CAP_SYS_ADMIN`).
        case enter
        /// Checking that a process's `/proc/<pid>/ns/net` still opens the namespace the last scan
        /// recorded there (the process may have ended and its pid gone to another).
        case verify
        /// Starting the thread that would enter the namespace (`pthread_create`: the process or the system is out
        /// of threads or memory); the namespace was not touched.
        case thread
    }

    /// The namespace.
    public let namespace: NetworkNamespace
    /// The step that failed.
    public let operation: Operation
    /// The `errno` value.
    public let code: Int32
    /// For ``Operation/verify``, the workload the last scan reported the namespace as; nil when it
    /// reported none there.
    public let workload: String?

    /// Describes a failed step.
    public init(namespace: NetworkNamespace, operation: Operation, code: Int32, workload: String? = nil) {
        self.namespace = namespace
        self.operation = operation
        self.code = code
        self.workload = workload
    }

    /// The system's text for ``code``, e.g. `No such file or directory`.
    public var systemMessage: String { String(cString: strerror(code)) }

    /// `cannot open network namespace /var/run/netns/web: No such file or directory`.
    public var description: String {
        switch operation {
        case .open: "cannot open network namespace \(namespace.filePath): \(systemMessage)"
        case .enter: "cannot enter network namespace \(namespace.filePath): \(systemMessage)"
        case .thread: "cannot start a thread: \(systemMessage)"
        case .verify:
            if let workload {
                "the process of workload \(workload) is gone; its namespace was not entered"
            } else {
                "no process namespace was found at \(namespace.filePath) in the last inventory scan; it was not entered"
            }
        }
    }
}
