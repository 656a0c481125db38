import TapsterCore

extension DesiredPortReception {
    /// The reception a `PortReception` message describes (an empty namespace is the host's own).
    public init(_ message: Tapster_Agent_V1_PortReception) {
        self.init(tapID: message.tapID, greKey: message.greKey, netns: message.netns.isEmpty ? nil : message.netns,
                  interface: message.interface, deadline: WireTime.date(unixNanos: message.deadlineUnixNanos),
                  allowedSources: message.allowedSources)
    }
}

extension Tapster_Agent_V1_PortReception {
    /// `reception` on the wire.
    public init(_ reception: DesiredPortReception) {
        self.init()
        tapID = reception.tapID
        greKey = reception.greKey
        netns = reception.netns ?? ""
        interface = reception.interface
        deadlineUnixNanos = WireTime.unixNanos(reception.deadline)
        allowedSources = reception.allowedSources
    }
}
