import CTrafficControl
import PacketKit

extension KernelMirror {
    /// A port's veth as one redirect into it is installed against, looked up again (``VethPeer``'s rule) for each
    /// namespace's veth pair rather than once for the mirror: an index is reused once its device is deleted, and a
    /// redirect by a stale one would transmit the copies on whatever device took it.
    struct PortTarget: Equatable, Sendable {
        /// The port's veth peer, in the agent's namespace: what the redirect transmits on.
        let peerIndex: Int32
        /// The port's own index in its namespace, and that namespace: the port whatever it is named.
        let portIndex: Int32
        let portNamespace: NamespaceIdentity

        /// Looks `port` up now.
        /// - Throws: ``KernelMirrorError/Step/port`` (the tap then takes the userspace path, or the source fails).
        static func resolve(_ port: Port) async throws(KernelMirrorError) -> PortTarget {
            do {
                return try await VethPeer.kernelTarget(namespace: port.namespace, interface: port.interface, subject: "\(port)")
            } catch {
                throw KernelMirrorError(.port, subject: "\(port)", detail: "\(error.stage.rawValue): \(error.reason)")
            }
        }
    }

    /// The tap's program as the port's veth runs it: on the host's end of the tapped workload's veth (`tpb…`) only
    /// frames it matches are redirected into the port, so a process in the workload writing frames into `tpa…` of
    /// its own reaches the port only with frames the tap's filter would have matched.
    enum PortFilter {
        /// The first of the kernel's ancillary loads (`SKF_AD_OFF`, -0x1000): a `BPF_LD|BPF_ABS` at or above it
        /// reads the packet's metadata (direction, interface index, VLAN tag, …), not its bytes.
        static let ancillaryOffset: UInt32 = 0xffff_f000

        /// Why `program` cannot run on `tpb…`: it reads the packet's metadata, which there is the veth's (the
        /// packet type, the interface index, the direction are not those it had on the tapped interface); nil
        /// when it reads only the frame.
        static func refusal(of program: BPFProgram) -> String? {
            // Class and mode bits: a load of any size.
            let load = UInt16(BPF_LD | BPF_ABS), classAndMode: UInt16 = 0xe7
            let ancillary = program.instructions.filter { $0.code & classAndMode == load && $0.k >= ancillaryOffset }
            guard let first = ancillary.first else { return nil }
            return "the filter reads the packet's metadata (ancillary load at offset \(Int32(bitPattern: first.k))), "
                + "whose meaning on the port's veth is not the tapped interface's"
        }
    }
}
