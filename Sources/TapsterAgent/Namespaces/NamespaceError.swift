import Foundation

/// Why a thread could not move into a network namespace.
public struct NamespaceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Operation: String, Hashable, Sendable {
        /// Opening the namespace file (it does not exist, or is no namespace).
        case open
        /// `setns(2)` (the file is not a network namespace, or the agent lacks `CAP_SYS_ADMIN`).
        case enter
    }

    /// The namespace.
    public let namespace: NetworkNamespace
    /// The step that failed.
    public let operation: Operation
    /// The `errno` value.
    public let code: Int32

    /// Describes a failed step.
    public init(namespace: NetworkNamespace, operation: Operation, code: Int32) {
        self.namespace = namespace
        self.operation = operation
        self.code = code
    }

    /// The system's text for ``code``, e.g. `No such file or directory`.
    public var systemMessage: String { String(cString: strerror(code)) }

    /// `cannot open network namespace /var/run/netns/web: No such file or directory`.
    public var description: String {
        switch operation {
        case .open: "cannot open network namespace \(namespace.filePath): \(systemMessage)"
        case .enter: "cannot enter network namespace \(namespace.filePath): \(systemMessage)"
        }
    }
}
