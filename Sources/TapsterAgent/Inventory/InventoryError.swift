import Glibc

/// Why a scan of the host could not be made: the agent's own namespace or its interfaces could not be read.
/// (A namespace that disappears during a scan is not an error: it is left out.)
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the scanner was doing, e.g. `entering the namespace /proc/self/ns/net`.
    public var operation: String
    /// The errno of the failed call.
    public var errorNumber: Int32

    /// Describes a failed `operation`.
    public init(_ operation: String, errorNumber: Int32) {
        self.operation = operation
        self.errorNumber = errorNumber
    }

    /// `entering the namespace /proc/self/ns/net: Operation not permitted`.
    public var description: String { "\(operation): \(String(cString: strerror(errorNumber)))" }
}
