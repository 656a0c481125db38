import TapsterCore

extension PortDelivery {
    /// The delivery a `PortDelivery` message describes: tunnelled when it names a tunnel address, local otherwise.
    public init(_ message: Tapster_Agent_V1_PortDelivery) {
        self.init(host: message.host, netns: message.netns.isEmpty ? nil : message.netns, interface: message.interface,
                  tunnel: message.tunnelAddress.isEmpty ? nil : Tunnel(address: message.tunnelAddress, greKey: message.greKey))
    }
}

extension Tapster_Agent_V1_PortDelivery {
    /// `delivery` on the wire.
    public init(_ delivery: PortDelivery) {
        self.init()
        host = delivery.host
        netns = delivery.netns ?? ""
        interface = delivery.interface
        tunnelAddress = delivery.tunnel?.address ?? ""
        greKey = delivery.tunnel?.greKey ?? 0
    }
}
