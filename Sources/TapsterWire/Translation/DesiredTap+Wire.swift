import TapsterCore

extension DesiredTap {
    /// The tap a `TapAssignment` message describes (a bandwidth cap of 0 means none).
    public init(_ message: Tapster_Agent_V1_TapAssignment) {
        self.init(tapID: message.tapID, deadline: WireTime.date(unixNanos: message.deadlineUnixNanos),
                  sources: message.sources.map(DesiredTapSource.init), bpf: message.bpf, snaplen: message.snaplen,
                  direction: Direction(message.direction),
                  bandwidthCapBitsPerSecond: message.bandwidthCapBitsPerSecond == 0 ? nil : message.bandwidthCapBitsPerSecond,
                  destination: TapDestination(message.destination))
        lookBackSince = message.lookBackSinceUnixNanos == 0 ? nil : message.lookBackSinceUnixNanos
    }
}

extension Tapster_Agent_V1_TapAssignment {
    /// `tap` on the wire.
    public init(_ tap: DesiredTap) {
        self.init()
        tapID = tap.tapID
        deadlineUnixNanos = WireTime.unixNanos(tap.deadline)
        sources = tap.sources.map(Tapster_Agent_V1_CaptureSource.init)
        bpf = tap.bpf
        snaplen = tap.snaplen
        direction = Tapster_Agent_V1_Direction(tap.direction)
        bandwidthCapBitsPerSecond = tap.bandwidthCapBitsPerSecond ?? 0
        destination = Tapster_Agent_V1_Destination(tap.destination)
        lookBackSinceUnixNanos = tap.lookBackSince ?? 0
    }
}

extension DesiredTapSource {
    /// The source a `CaptureSource` message names (an empty namespace is the host's own).
    public init(_ message: Tapster_Agent_V1_CaptureSource) {
        self.init(workload: message.workload, netns: message.netns.isEmpty ? nil : message.netns, interface: message.interface,
                  lookBackRecorder: message.lookBackRecorder.isEmpty ? nil : message.lookBackRecorder,
                  lookBackSince: message.lookBackSinceUnixNanos == 0 ? nil : message.lookBackSinceUnixNanos)
    }
}

extension Tapster_Agent_V1_CaptureSource {
    /// `source` on the wire.
    public init(_ source: DesiredTapSource) {
        self.init()
        workload = source.workload
        netns = source.netns ?? ""
        interface = source.interface
        lookBackRecorder = source.lookBackRecorder ?? ""
        lookBackSinceUnixNanos = source.lookBackSince ?? 0
    }
}
