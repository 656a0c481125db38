/// Where an agent receives `port`-target frames tunnelled (GRE-TEB over IPv4) from other hosts' agents:
/// a unicast IPv4 address another host can send to. The server plans other hosts' mirrors to it and
/// accepts frames at the receiving agent only from the sending hosts' tunnel addresses, so the address is
/// checked where an agent states it (its Hello) and when the agent starts.
public enum TunnelAddress {
    /// `text` as a tunnel address, or `invalid_argument` saying why it cannot be one: not IPv4 (the GRE
    /// receiver and its source check are IPv4), unspecified (0.0.0.0/8), loopback (127/8), link-local
    /// (169.254/16: not routed between hosts), multicast (224/4), reserved or broadcast (240/4).
    public static func validate(_ text: String, field: String = "tunnel_address") throws(TapsterError) -> IPAddress {
        let address: IPAddress
        do {
            address = try IPAddress(parsing: text)
        } catch {
            throw TapsterError.invalid(field, "the tunnel address \"\(text.prefix(64))\" is not an IPv4 address")
        }
        guard address.isIPv4 else { throw TapsterError.invalid(field, "the tunnel address \(address) is not IPv4 (GRE tunnels are IPv4)") }
        let first = address.bytes[0]
        let why: String? = switch first {
        case 0: "unspecified"
        case 127: "a loopback address"
        case 224...239: "a multicast address"
        case 240...255: "reserved or broadcast"
        case 169 where address.bytes[1] == 254: "link-local (not routed between hosts)"
        default: nil
        }
        if let why { throw TapsterError.invalid(field, "the tunnel address \(address) is \(why): other hosts cannot send to it") }
        return address
    }
}
