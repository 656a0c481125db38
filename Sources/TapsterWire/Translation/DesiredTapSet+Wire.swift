import TapsterCore

extension DesiredTapSet {
    /// The set a `DesiredTaps` message carries.
    public init(_ message: Tapster_Agent_V1_DesiredTaps) {
        self.init(revision: message.revision, taps: message.taps.map(DesiredTap.init),
                  receptions: message.receptions.map(DesiredPortReception.init))
        recorders = message.recorders.map(DesiredRecorder.init)
    }
}

extension Tapster_Agent_V1_DesiredTaps {
    /// `set` on the wire.
    public init(_ set: DesiredTapSet) {
        self.init()
        revision = set.revision
        taps = set.taps.map(Tapster_Agent_V1_TapAssignment.init)
        receptions = set.receptions.map(Tapster_Agent_V1_PortReception.init)
        recorders = set.recorders.map(Tapster_Agent_V1_RecorderAssignment.init)
    }
}

extension Tapster_Agent_V1_ServerMessage {
    /// The server's message that sends `set` to an agent.
    public init(_ set: DesiredTapSet) {
        self.init()
        desired = Tapster_Agent_V1_DesiredTaps(set)
    }
}
