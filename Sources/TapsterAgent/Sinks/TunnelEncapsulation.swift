import PacketKit

/// How a ``TunnelSink`` wraps mirrored frames for a monitoring tool — the four tunnels Wireshark and
/// tshark decode without settings.
public enum TunnelEncapsulation: Hashable, Sendable, CustomStringConvertible {
    /// ERSPAN type II: GRE (protocol 0x88BE) with a sequence number per packet, and the session id.
    case erspanII(sessionID: UInt16)
    /// ERSPAN type III: GRE (protocol 0x22EB) with a sequence number, the session id, the capture
    /// timestamp (100 µs granularity) and, when the sink knows the tapped interface's MAC, the direction.
    case erspanIII(sessionID: UInt16)
    /// VXLAN over UDP to `port` (IANA's 4789 by default) with network identifier `vni`.
    case vxlan(vni: UInt32, port: UInt16 = VXLANEncapsulator.defaultPort)
    /// GRE transparent Ethernet bridging (protocol 0x6558), with an optional key.
    case gre(key: UInt32? = nil)

    /// `ERSPAN II session 7`, `VXLAN VNI 5001 port 4789`, `GRE-TEB key 42`.
    public var description: String {
        switch self {
        case .erspanII(let sessionID): "ERSPAN II session \(sessionID)"
        case .erspanIII(let sessionID): "ERSPAN III session \(sessionID)"
        case .vxlan(let vni, let port): "VXLAN VNI \(vni) port \(port)"
        case .gre(let key): key.map { "GRE-TEB key \($0)" } ?? "GRE-TEB"
        }
    }
}

/// The encapsulator of one tunnel, as a closed set so the per-packet call is a switch, not an
/// existential: each case holds a small value type whose counters (sequence numbers) advance per packet.
enum TunnelEncoder {
    case erspanII(ERSPANTypeIIEncapsulator)
    case erspanIII(ERSPANTypeIIIEncapsulator)
    case vxlan(VXLANEncapsulator)
    case gre(GRETransparentEthernetEncapsulator)

    init(_ encapsulation: TunnelEncapsulation) throws(EncapsulationError) {
        switch encapsulation {
        case .erspanII(let sessionID): self = .erspanII(try ERSPANTypeIIEncapsulator(sessionID: sessionID))
        case .erspanIII(let sessionID): self = .erspanIII(try ERSPANTypeIIIEncapsulator(sessionID: sessionID))
        case .vxlan(let vni, let port): self = .vxlan(try VXLANEncapsulator(vni: vni, destinationPort: port))
        case .gre(let key): self = .gre(GRETransparentEthernetEncapsulator(key: key))
        }
    }

    var transport: EncapsulationTransport {
        switch self {
        case .erspanII(let encoder): encoder.transport
        case .erspanIII(let encoder): encoder.transport
        case .vxlan(let encoder): encoder.transport
        case .gre(let encoder): encoder.transport
        }
    }

    var headerLength: Int {
        switch self {
        case .erspanII(let encoder): encoder.headerLength
        case .erspanIII(let encoder): encoder.headerLength
        case .vxlan(let encoder): encoder.headerLength
        case .gre(let encoder): encoder.headerLength
        }
    }

    /// Writes the header for `frame` and advances the session's counters.
    @inline(__always)
    mutating func writeHeader(for frame: UnsafeRawBufferPointer, info: MirroredFrameInfo, into header: UnsafeMutableRawBufferPointer) {
        switch self {
        case .erspanII(var encoder):
            encoder.writeHeader(for: frame, info: info, into: header)
            self = .erspanII(encoder)
        case .erspanIII(var encoder):
            encoder.writeHeader(for: frame, info: info, into: header)
            self = .erspanIII(encoder)
        case .vxlan(var encoder):
            encoder.writeHeader(for: frame, info: info, into: header)
            self = .vxlan(encoder)
        case .gre(var encoder):
            encoder.writeHeader(for: frame, info: info, into: header)
            self = .gre(encoder)
        }
    }
}
