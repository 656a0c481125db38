/// Where a ``CaptureSession`` is in its life. It moves only forward:
/// `starting → running → stopped | failed`, or `starting → failed` when the capture cannot begin.
public enum CaptureState: Hashable, Sendable, CustomStringConvertible {
    /// Created or opening its handle; no packet captured yet.
    case starting
    /// Capturing and handing packets to its sink.
    case running
    /// Ended normally.
    case stopped(StopReason)
    /// Ended because the capture could not begin or could not go on (see the error's stage).
    case failed(CaptureError)

    /// Why a capture ended normally.
    public enum StopReason: String, Hashable, Sendable {
        /// Its plan's deadline passed: the session stopped by itself.
        case deadline
        /// ``CaptureSession/stop()`` was called.
        case requested
    }

    /// Whether the session has ended (stopped or failed): nothing more will be captured.
    public var hasEnded: Bool {
        switch self {
        case .starting, .running: false
        case .stopped, .failed: true
        }
    }

    /// `running`, `stopped (deadline)`, `failed: <reason>`.
    public var description: String {
        switch self {
        case .starting: "starting"
        case .running: "running"
        case .stopped(let reason): "stopped (\(reason.rawValue))"
        case .failed(let error): "failed: \(error)"
        }
    }
}
