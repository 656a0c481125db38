import PacketKit
import TapsterCore

/// Whether the agent may mirror in the kernel (`tapster agent --datapath`).
///
/// Userspace is the default because of what the kernel path trusts: its copies reach the host's namespace
/// through a veth whose other end is in the workload's namespace, so a process there with `CAP_NET_RAW` (in
/// most container runtimes' default set) can add frames of its own to the tool's stream. Hosts whose
/// workloads cannot, or whose tools can live with it, opt in for the kernel's speed.
public enum DatapathPreference: String, Sendable, CaseIterable {
    /// Always through libpcap in userspace.
    case userspace
    /// In the kernel wherever the tap and the kernel allow it, otherwise in userspace.
    case kernel
}

/// Which path carries a tap's packets on this host, and why not the kernel's when it is not.
enum Datapath: Equatable, Sendable {
    /// Mirrored in the kernel to this output (``KernelMirror``).
    case kernel(KernelMirror.Output)
    /// Captured by libpcap and sent by the agent; `reason` says why not in the kernel.
    case userspace(reason: String)

    /// `kernel` or `userspace`, as tap statuses report it.
    var name: String {
        switch self {
        case .kernel: "kernel"
        case .userspace: "userspace"
        }
    }

    /// Why the tap is not mirrored in the kernel; nil when it is.
    var reason: String? {
        switch self {
        case .kernel: nil
        case .userspace(let reason): reason
        }
    }

    /// Filter words whose meaning the kernel's hook does not see as libpcap compiles them: a VLAN tag is
    /// taken off the frame (into the packet's metadata) before the hook runs, and the rest sit behind one.
    static let userspaceOnlyFilterWords: Set<String> = ["vlan", "mpls", "pppoes", "geneve"]

    /// The path for `assignment`: the kernel's for a VXLAN destination, or a port on this host when the agent also
    /// runs with `--kernel-port-delivery` (`portDelivery`), with whole packets and a filter the hook can run, unless
    /// the agent was told otherwise. Whether a port's veth peer is in the host's namespace, and whether the tap's
    /// program means the same on the veth, is known only once the mirror looks (``KernelMirror/PortTarget``).
    static func choose(for assignment: DesiredTap, preference: DatapathPreference, portDelivery: Bool = false) -> Datapath {
        guard preference == .kernel else { return .userspace(reason: "the agent runs with --datapath userspace") }
        let output: KernelMirror.Output
        switch assignment.destination {
        case .vxlan(let address, let vni, let port):
            guard let remote = IPv4Address(address) else { return .userspace(reason: "\(address) is not an IPv4 address") }
            output = .vxlan(KernelMirror.Tunnel(remote: remote, vni: vni, port: port))
        case .erspanII, .erspanIII, .gre:
            return .userspace(reason: "GRE and ERSPAN are encapsulated by the agent (in-kernel mirroring covers VXLAN)")
        case .port(let delivery):
            guard delivery.tunnel == nil else {
                return .userspace(reason: "a port on another host is reached through the agent's GRE tunnel to that host's agent")
            }
            guard portDelivery else { return .userspace(reason: portDeliveryOffReason) }
            let namespace = NetworkNamespace(netns: delivery.netns)
            // Named so here; one reached by another path is refused when the mirror looks (by its identity).
            guard namespace != .host else { return .userspace(reason: hostPortReason) }
            output = .port(KernelMirror.Port(namespace: namespace, interface: delivery.interface))
        case .serverStream:
            return .userspace(reason: "streams are written by the agent")
        case .flows:
            return .userspace(reason: "flows are summarised by the agent")
        case .unsupported(let reason):
            return .userspace(reason: reason)
        }
        if assignment.snaplen > 0, Int(assignment.snaplen) < CapturePlan.wholePacketSnaplen {
            return .userspace(reason: "headers:\(assignment.snaplen) truncation is done by the agent")
        }
        let words = assignment.bpf.lowercased().split { !$0.isLetter }.map(String.init)
        if let word = words.first(where: userspaceOnlyFilterWords.contains) {
            return .userspace(reason: "the filter's '\(word)' is matched by the agent (the kernel's hook sees frames without their tags)")
        }
        if assignment.capturePlans.contains(where: { $0.source.namespace == .host }) {
            return .userspace(reason: hostInterfacesReason)
        }
        return .kernel(output)
    }

    /// Why a port tap stays in userspace without the second opt-in: a workload with `CAP_NET_RAW` can write frames
    /// into the kernel path's veth, and with a port target they would land in the monitor's stack.
    static let portDeliveryOffReason = "monitor ports are delivered from userspace unless the agent runs with --kernel-port-delivery: "
        + "in the kernel a tapped workload with CAP_NET_RAW could send frames matching the tap's filter into the port"

    /// Why a port in the agent's own namespace stays in userspace: a host-only veth pair (cilium_host/cilium_net)
    /// would hand the copies to the host's own stack.
    static let hostPortReason = "a port in the agent's own (the host's) namespace is delivered from userspace: "
        + "the kernel's redirect would hand the copies to the host's stack"

    /// Why taps with a source in the host's namespace stay in userspace.
    static let hostInterfacesReason = "host interfaces are mirrored from userspace (the tunnel's own packets would be mirrored again)"
}
