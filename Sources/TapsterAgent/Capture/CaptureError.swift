/// Why a capture could not begin or go on, with libpcap's (or the system's) own words.
public struct CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Stage: String, Hashable, Sendable {
        /// Entering the source's network namespace.
        case namespace
        /// `pcap_create` or one of the settings made before activation.
        case create
        /// `pcap_activate`: a missing interface, an interface that is down, no permission.
        case activate
        /// `pcap_setdirection`.
        case direction
        /// Compiling or installing the BPF expression.
        case filter
        /// Reading packets after the capture had begun (the interface went away).
        case capture
        /// Starting the capture thread or its wake-up descriptor.
        case thread
    }

    /// The step that failed.
    public let stage: Stage
    /// libpcap's message (`pcap_geterr`, or `pcap_statustostr` when it has none) or the system's.
    public let reason: String
    /// The source the capture was for.
    public let source: CaptureSource

    /// Describes a failure.
    public init(stage: Stage, reason: String, source: CaptureSource) {
        self.stage = stage
        self.reason = reason
        self.source = source
    }

    /// `cannot capture on web/eth9 (netns web): eth9: No such device exists (…)`.
    public var description: String { "cannot capture on \(source) (\(stage.rawValue)): \(reason)" }
}
