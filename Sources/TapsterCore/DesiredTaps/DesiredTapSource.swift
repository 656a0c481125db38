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

    /// Names a source.
    public init(workload: String, netns: String?, interface: String, lookBackRecorder: String? = nil) {
        self.workload = workload
        self.netns = netns
        self.interface = interface
        self.lookBackRecorder = lookBackRecorder
    }
}
