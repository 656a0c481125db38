/// One interface a desired tap captures on: a workload's interface, in the workload's network namespace.
public struct DesiredTapSource: Hashable, Sendable {
    /// The workload's name, as the agent's inventory reported it.
    public var workload: String
    /// The namespace to enter: a name under /var/run/netns or a path such as /proc/123/ns/net; `nil` for
    /// the host's own.
    public var netns: String?
    /// The interface's name in that namespace.
    public var interface: String
    /// In a capture that looks back: the recorder that serves this source, as the server chose it
    /// (``RecorderCoverage``); nil when none covers it (the source is captured live only).
    public var lookBackRecorder: String?
    /// In a capture that looks back: where this source's look-back starts (ns since the epoch), which is later than
    /// the tap's ``DesiredTap/lookBackSince`` when the workload joined the capture's tenant after that. Set on every
    /// source that names a recorder; the agent takes it over the tap's (``lookBackStart(in:)``).
    public var lookBackSince: UInt64?

    /// Names a source.
    public init(workload: String, netns: String?, interface: String, lookBackRecorder: String? = nil, lookBackSince: UInt64? = nil) {
        self.workload = workload
        self.netns = netns
        self.interface = interface
        self.lookBackRecorder = lookBackRecorder
        self.lookBackSince = lookBackSince
    }

    /// Where this source's look-back in `tap` starts: its own start when the server gave it one, else the tap's;
    /// nil when the tap does not look back, or when the source names no recorder (the server names none for a
    /// workload that joined the capture's tenant after the capture started: it is captured live only).
    public func lookBackStart(in tap: DesiredTap) -> UInt64? {
        guard let tapStart = tap.lookBackSince, lookBackRecorder != nil else { return nil }
        return lookBackSince ?? tapStart
    }
}
