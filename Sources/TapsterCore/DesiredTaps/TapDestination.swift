/// Where a desired tap's packets go: one case per kind of delivery the agent knows.
public enum TapDestination: Hashable, Sendable {
    /// ERSPAN type II to a tool at `address` (IPv4), with the session id.
    case erspanII(address: String, sessionID: UInt16)
    /// ERSPAN type III to a tool at `address` (IPv4), with the session id.
    case erspanIII(address: String, sessionID: UInt16)
    /// VXLAN over UDP to a tool at `address` (IPv4) and `udpPort`, with the network identifier.
    case vxlan(address: String, vni: UInt32, udpPort: UInt16)
    /// GRE transparent Ethernet bridging to a tool at `address` (IPv4), with an optional key.
    case gre(address: String, key: UInt32?)
    /// Into a workload's interface (Neutron's monitoring port), on this host or through its host's agent.
    case port(PortDelivery)
    /// To the server's capture broker, for `stream` and `store` taps (and captures), under `captureID`: at
    /// `replicaAddress` (`HOST:PORT`, the agent endpoint of the replica that runs the capture), or at the
    /// replica of the agent's control channel when nil. Packets go where the capture's reader is, never
    /// through the database.
    case serverStream(captureID: String, replicaAddress: String? = nil)
    /// Summarised into flow records sent on the control channel: no packet leaves the host.
    case flows
    /// A destination this agent cannot send to: none was given, or a kind or encapsulation newer than the
    /// agent. Kept rather than dropped, so the tap still runs and reports `reason` as its sources' failure.
    case unsupported(reason: String)
}
