import TapsterCore

extension TapDestination {
    /// The destination a `Destination` message names; none sent, a kind or an encapsulation this
    /// build does not know is ``TapDestination/unsupported(reason:)``. A VXLAN port of 0 is the standard one.
    public init(_ message: Tapster_Agent_V1_Destination) {
        switch message.kind {
        case .tunnel(let tunnel):
            switch tunnel.encapsulation {
            case .erspanIi: self = .erspanII(address: tunnel.address, sessionID: UInt16(truncatingIfNeeded: tunnel.sessionID))
            case .erspanIii: self = .erspanIII(address: tunnel.address, sessionID: UInt16(truncatingIfNeeded: tunnel.sessionID))
            case .vxlan:
                self = .vxlan(address: tunnel.address, vni: tunnel.vni,
                              udpPort: tunnel.udpPort == 0 ? UInt16(TargetSpec.defaultVXLANPort) : UInt16(truncatingIfNeeded: tunnel.udpPort))
            case .gre: self = .gre(address: tunnel.address, key: tunnel.hasGreKey_p ? tunnel.greKey : nil)
            case .unspecified, .UNRECOGNIZED: self = .unsupported(reason: "tunnel without an encapsulation")
            }
        case .port(let port): self = .port(PortDelivery(port))
        case .stream(let stream):
            self = .serverStream(captureID: stream.captureID, replicaAddress: stream.replicaAddress.isEmpty ? nil : stream.replicaAddress)
        case .flows: self = .flows
        case nil: self = .unsupported(reason: "the tap has no destination")
        }
    }
}

extension Tapster_Agent_V1_Destination {
    /// `destination` on the wire; an unsupported one is sent as no destination at all.
    public init(_ destination: TapDestination) {
        self.init()
        switch destination {
        case .erspanII(let address, let sessionID):
            tunnel = .tunnel(.erspanIi, address: address) { $0.sessionID = UInt32(sessionID) }
        case .erspanIII(let address, let sessionID):
            tunnel = .tunnel(.erspanIii, address: address) { $0.sessionID = UInt32(sessionID) }
        case .vxlan(let address, let vni, let udpPort):
            tunnel = .tunnel(.vxlan, address: address) {
                $0.vni = vni
                $0.udpPort = UInt32(udpPort)
            }
        case .gre(let address, let key):
            tunnel = .tunnel(.gre, address: address) {
                if let key {
                    $0.hasGreKey_p = true
                    $0.greKey = key
                }
            }
        case .port(let delivery): port = Tapster_Agent_V1_PortDelivery(delivery)
        case .serverStream(let captureID, let replicaAddress):
            stream = .with {
                $0.captureID = captureID
                $0.replicaAddress = replicaAddress ?? ""
            }
        case .flows: flows = Tapster_Agent_V1_Flows()
        case .unsupported: break
        }
    }
}

extension Tapster_Agent_V1_Tunnel {
    /// A tunnel of `encapsulation` to `address`, with the encapsulation's own fields set by `fields`.
    fileprivate static func tunnel(_ encapsulation: Encapsulation, address: String, _ fields: (inout Self) -> Void) -> Self {
        var tunnel = Self()
        tunnel.encapsulation = encapsulation
        tunnel.address = address
        fields(&tunnel)
        return tunnel
    }
}
