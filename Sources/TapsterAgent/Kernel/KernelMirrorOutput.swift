import PacketKit

extension KernelMirror {
    /// Where a tap's copies go: the tool's VXLAN tunnel, or a port on this host.
    enum Output: Hashable, Sendable {
        /// A VXLAN device (`tpv…`, shared by the taps sending to the same tool) sends them to the tool.
        case vxlan(Tunnel)
        /// Transmitted on the other end of the port's veth, which hands them to the port's receive path — as the
        /// userspace path's packet socket does (``VethPeer``): the port receives them and no bridge learns from them.
        case port(Port)

        /// The port, for a port output.
        var port: Port? {
            if case .port(let port) = self { return port }
            return nil
        }

        /// The tunnel, for a VXLAN output.
        var tunnel: Tunnel? {
            if case .vxlan(let tunnel) = self { return tunnel }
            return nil
        }

        /// The interface index, in the host's namespace, that the veths' redirects transmit on: the VXLAN device
        /// (created on first use) or the port's veth peer (which must be in the host's namespace: a tc action's
        /// target device is looked up in the action's own). A port is looked up again for each veth pair
        /// (``PortTarget``): this first look only sends a tap whose port cannot be reached to userspace early.
        func acquire(owner: KernelMirrorOwner, on host: NetlinkRoute) async throws(KernelMirrorError) -> Int32 {
            switch self {
            case .vxlan(let tunnel):
                return try KernelTunnelDevices.shared.acquire(tunnel, owner: owner, on: host)
            case .port(let port):
                return try await PortTarget.resolve(port).peerIndex
            }
        }

        /// Gives back what ``acquire(owner:on:)`` took: the last user of a VXLAN device deletes it; a port's peer
        /// is not the agent's and stays.
        func release(owner: KernelMirrorOwner, on host: NetlinkRoute) {
            if let tunnel { KernelTunnelDevices.shared.release(tunnel, owner: owner, on: host) }
        }
    }

    /// The tool's VXLAN endpoint.
    struct Tunnel: Hashable, Sendable {
        var remote: IPv4Address
        var vni: UInt32
        var port: UInt16
    }

    /// A port on this host: a veth interface in a workload's namespace.
    struct Port: Hashable, Sendable, CustomStringConvertible {
        var namespace: NetworkNamespace
        var interface: String

        var description: String { "\(interface) in \(namespace)" }
    }
}
