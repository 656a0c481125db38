import TapsterCore

/// A failure the CLI itself detects, with its own code and exit status.
public struct CommandFailure: CodedError, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var exitStatus: Int32

    public init(_ code: String, _ message: String, exitStatus: Int32 = ExitStatus.failure) {
        self.code = code
        self.message = message
        self.exitStatus = exitStatus
    }

    /// The code of a file or standard output that cannot be written (a full disk, a path that cannot be created).
    public static let cannotWriteCode = "cannot_write"

    /// A file or standard output that cannot be written (exit status 1).
    public static func cannotWrite(_ message: String) -> CommandFailure {
        CommandFailure(cannotWriteCode, message)
    }

    /// A command line that makes no sense (exit status 2), e.g. two flags that exclude each other.
    public static func usage(_ message: String) -> CommandFailure {
        CommandFailure("usage", message, exitStatus: ExitStatus.usage)
    }

    public var description: String { message }
}
