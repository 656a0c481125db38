import Foundation
import TapsterCore

/// How a failure reaches the user: exactly one line on standard error,
/// `error: <message> (<code>)` (``CodedError/line``), and an exit status (see ``ExitStatus``).
public struct ErrorReport: CodedError, Sendable, Equatable {
    public var message: String
    public var code: String
    public var exitStatus: Int32

    public init(message: String, code: String, exitStatus: Int32) {
        self.message = message.oneLine
        self.code = code
        self.exitStatus = exitStatus
    }

    /// The report for any error a command throws.
    public init(_ error: any Error) {
        switch error {
        case let report as ErrorReport:
            self = report
        case let error as TapsterError:
            self.init(message: error.message, code: error.code.rawValue, exitStatus: ExitStatus.failure)
        case let error as ServerUnreachable:
            self.init(message: error.description, code: "unreachable", exitStatus: ExitStatus.unreachable)
        case let error as CommandFailure:
            self.init(message: error.message, code: error.code, exitStatus: error.exitStatus)
        case let error as any CodedError:
            self.init(message: error.message, code: error.code, exitStatus: ExitStatus.failure)
        default:
            self.init(message: String(describing: error), code: "internal", exitStatus: ExitStatus.failure)
        }
    }
}
