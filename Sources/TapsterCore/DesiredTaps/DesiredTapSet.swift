/// The complete set of taps one agent must run, as the server plans it and the agent reconciles to it.
/// Applying the same set twice changes nothing; a tap missing from it is stopped.
///
/// The desired-tap values live in TapsterCore, not in TapsterWire, because they are the domain's own
/// model of the agent channel: the server's planner and the agent's reconciler both depend on Core (pure,
/// no I/O), and neither needs to know the protobuf schema. TapsterWire converts them to and from its
/// generated messages at the edge (`Sources/TapsterWire/Translation/`), so the schema can evolve — or an
/// older agent keep working — without the planner or the reconciler changing.
public struct DesiredTapSet: Hashable, Sendable {
    /// Strictly increasing across the server's life (and restarts): the agent reports it back as applied.
    public var revision: UInt64
    /// The taps to run on this host.
    public var taps: [DesiredTap]
    /// Frames this host receives for `port` targets from other hosts' agents and delivers into a local port.
    public var receptions: [DesiredPortReception]
    /// The flight recorders to keep on this host.
    public var recorders: [DesiredRecorder] = []

    /// Describes a desired set.
    public init(revision: UInt64, taps: [DesiredTap] = [], receptions: [DesiredPortReception] = []) {
        self.revision = revision
        self.taps = taps
        self.receptions = receptions
    }
}
