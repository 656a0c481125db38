/// Which way a packet crossed the tapped interface: into the workload or out of it.
///
/// ERSPAN type III carries it in its D bit and pcapng in the low bits of `epb_flags`.
public enum PacketDirection: UInt8, Hashable, Sendable, CaseIterable {
    /// Received by the tapped interface (ERSPAN III D = 0, pcapng inbound).
    case ingress = 0
    /// Sent by the tapped interface (ERSPAN III D = 1, pcapng outbound).
    case egress = 1
}
