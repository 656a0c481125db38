/// A failure the CLI itself detects, with its own code and exit status.
public struct CommandFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var exitStatus: Int32

    public init(_ code: String, _ message: String, exitStatus: Int32 = ExitStatus.failure) {
        self.code = code
        self.message = message
        self.exitStatus = exitStatus
    }

    /// A command line that makes no sense (exit status 2), e.g. two flags that exclude each other.
    public static func usage(_ message: String) -> CommandFailure {
        CommandFailure("usage", message, exitStatus: ExitStatus.usage)
    }

    public var description: String { message }
}
