/// Delivery of a tap's frames into a workload's interface (a `port` target): the agent injects them itself
/// when the port is on its host, and otherwise sends them, GRE-TEB encapsulated, to the port's host's agent.
public struct PortDelivery: Hashable, Sendable {
    /// Where frames for a port on another host are tunnelled: that host's agent, under the tap's key.
    public struct Tunnel: Hashable, Sendable {
        /// The tunnel address (IPv4) of the agent of the port's host.
        public var address: String
        /// The tap's GRE key: random per tap, chosen by the server and sent only over the agent channel.
        public var greKey: UInt32

        /// Describes a tunnel.
        public init(address: String, greKey: UInt32) {
            self.address = address
            self.greKey = greKey
        }
    }

    /// The agent (host) name of the port's host.
    public var host: String
    /// The port's namespace; `nil` for the host's own.
    public var netns: String?
    /// The port's interface in that namespace.
    public var interface: String
    /// How to reach the port from another host; `nil` when the frames are delivered locally.
    public var tunnel: Tunnel?

    /// Describes a delivery.
    public init(host: String, netns: String?, interface: String, tunnel: Tunnel? = nil) {
        self.host = host
        self.netns = netns
        self.interface = interface
        self.tunnel = tunnel
    }
}
