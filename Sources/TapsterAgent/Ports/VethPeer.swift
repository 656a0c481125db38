import CNetns
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The other end of a port's veth: where the agent sends the frames it delivers into the port.
///
/// Why there. A frame *transmitted* out of the port's own interface leaves the workload and enters whatever
/// the veth's other end is attached to. On a shared Linux bridge, the bridge then learns the mirrored frames'
/// source MACs — the tapped peers' — on the monitor's bridge port, and forwards everyone's traffic for those
/// peers to the monitor; and two taps delivering into each other's monitors can loop. A frame sent with a
/// packet socket on the veth's *other* end goes straight into the port instead: the veth's transmit hands it
/// to the port's receive path, so the monitor RECEIVES it (as Neutron's tap service delivers), and since a
/// packet socket's send calls the bridge port's own transmit, the bridge's input — where it learns and
/// forwards — never sees it.
///
/// Chosen over a tc `mirred ingress redirect`, which needs a device and a filter in the port's own namespace:
/// state added to the workload's namespace, visible to it and left behind if the agent dies. The packet socket
/// leaves nothing anywhere and closes with the sink.
///
/// Only veth ports are accepted, without fallback: any other interface (physical NIC, macvlan, bridge, …)
/// has no other end to send from, and transmitting out of the interface itself is exactly what teaches the
/// network (a physical switch learns just as a bridge does). Such ports are refused with
/// ``PortDeliveryError/Stage/peer``.
///
/// Finding the other end: rtnetlink in the port's namespace gives the veth's peer index (`IFLA_LINK`) and the
/// id that namespace gives the peer's namespace (`IFLA_LINK_NETNSID`; absent when both ends share it). Namespace
/// ids are local, so the agent asks the port's namespace which id it gives each namespace it can open — its
/// own first (where container runtimes keep the host ends), then the named ones under `/var/run/netns`, then
/// every process's — and keeps the one with the peer's id. The peer found there must be a veth whose own peer
/// is the port, in the port's namespace: nothing else is ever written to. The kernel datapath's redirect into a
/// port (``KernelMirror/Output/port(_:)``) transmits on the end this same rule finds.
enum VethPeer {
    /// Opens, on a thread that enters `namespace` and then the peer's namespace, an injection socket on the
    /// other end of the veth `interface` of `namespace`; `subject` names the port in errors.
    static func openInjectionSocket(namespace: NetworkNamespace, interface: String, subject: String)
        async throws(PortDeliveryError) -> PacketInjectionSocket {
        try await onPeerThread(namespace: namespace, subject: subject) { () throws(PortDeliveryError) in
            try PacketInjectionSocket.open(interfaceIndex: try enterPeer(of: interface, subject: subject).peer, subject: subject)
        }
    }

    /// The port's veth as the kernel's redirect into it (``KernelMirror/Output/port(_:)``) needs it: the other
    /// end of the veth `interface` of `namespace` in the agent's own namespace (where container runtimes keep the
    /// host ends; a tc action's target device must be in the action's namespace, so a peer anywhere else is
    /// refused), and the port's own index and namespace, which identify it whatever it is renamed to. A port in
    /// the agent's own namespace is refused: the copies would enter the host's stack.
    static func kernelTarget(namespace: NetworkNamespace, interface: String, subject: String) async throws(PortDeliveryError) -> KernelMirror.PortTarget {
        try await onPeerThread(namespace: namespace, subject: subject) { () throws(PortDeliveryError) -> KernelMirror.PortTarget in
            // /proc/self names the main thread, which stays in the agent's namespace.
            let agentNamespace = NamespaceIdentity(path: "/proc/self/ns/net")
            guard let portNamespace = NamespaceIdentity(path: "/proc/thread-self/ns/net"), let agentNamespace else {
                throw PortDeliveryError(stage: .namespace, subject: subject, code: errno)
            }
            guard portNamespace != agentNamespace else {
                throw PortDeliveryError(stage: .peer, subject: subject, reason: "\(interface) is in the agent's own namespace: "
                    + "the kernel's redirect would hand the copies to the host's stack")
            }
            let ends = try enterPeer(of: interface, subject: subject)
            guard NamespaceIdentity(path: "/proc/thread-self/ns/net") == agentNamespace else {
                throw PortDeliveryError(stage: .peer, subject: subject, reason: "\(interface)'s veth peer is not in the agent's namespace, "
                    + "and the kernel's redirect reaches only devices of its own namespace")
            }
            return KernelMirror.PortTarget(peerIndex: ends.peer, portIndex: ends.port, portNamespace: portNamespace)
        }
    }

    /// Runs `body` on a thread that enters `namespace` (dedicated to `body`: it may enter another namespace).
    private static func onPeerThread<T: Sendable>(namespace: NetworkNamespace, subject: String,
                                                  _ body: @escaping @Sendable () throws(PortDeliveryError) -> T) async throws(PortDeliveryError) -> T {
        do {
            return try await namespace.run(body)
        } catch let error as PortDeliveryError {
            throw error
        } catch let error as NamespaceError {
            throw PortDeliveryError(stage: .namespace, subject: subject, reason: error.description)
        } catch {
            throw PortDeliveryError(stage: .namespace, subject: subject, reason: "\(error)")
        }
    }

    /// The one rule of what the other end of a port is, on a thread already in the port's namespace: the port
    /// `interface` must be a veth, and its peer a veth whose own peer is the port, in the port's namespace.
    /// Leaves the thread in the peer's namespace; returns the peer's index there and the port's in its own.
    private static func enterPeer(of interface: String, subject: String) throws(PortDeliveryError) -> (peer: Int32, port: Int32) {
        var port = cnetns_link()
        guard cnetns_link(interface, 0, &port) == 0 else { throw PortDeliveryError(stage: .interface, subject: subject, code: errno) }
        let portKind = kind(of: port)
        guard portKind == "veth", port.link_ifindex > 0 else {
            let what = portKind.isEmpty ? "a physical interface" : "a \(portKind) interface"
            throw PortDeliveryError(stage: .peer, subject: subject, reason: "\(interface) is \(what), not a veth: "
                + "frames sent out of it would enter the network behind it (which would learn the tapped peers' addresses "
                + "on it), so Tapster delivers only into veth ports, through their other end")
        }
        if port.link_nsid >= 0 {
            let portNamespace = Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard portNamespace >= 0 else { throw PortDeliveryError(stage: .peer, subject: subject, code: errno) }
            defer { Glibc.close(portNamespace) }
            guard let peerNamespace = namespace(withID: port.link_nsid) else {
                throw PortDeliveryError(stage: .peer, subject: subject, reason: "the namespace of \(interface)'s veth peer "
                    + "(id \(port.link_nsid) there) is neither the agent's, a named one, nor any process's")
            }
            defer { Glibc.close(peerNamespace) }
            guard cnetns_enter(peerNamespace) == 0 else { throw PortDeliveryError(stage: .peer, subject: subject, code: errno) }
            var peer = cnetns_link()
            guard cnetns_link(nil, port.link_ifindex, &peer) == 0, kind(of: peer) == "veth", peer.link_ifindex == port.ifindex,
                  peer.link_nsid >= 0, cnetns_nsid_of(portNamespace) == peer.link_nsid else {
                throw PortDeliveryError(stage: .peer, subject: subject, reason: "\(interface)'s veth peer changed while it was looked up")
            }
            return (peer.ifindex, port.ifindex)
        }
        // Both ends in the port's namespace.
        var peer = cnetns_link()
        guard cnetns_link(nil, port.link_ifindex, &peer) == 0, kind(of: peer) == "veth", peer.link_ifindex == port.ifindex,
              peer.link_nsid < 0 else {
            throw PortDeliveryError(stage: .peer, subject: subject, reason: "\(interface)'s veth peer changed while it was looked up")
        }
        return (peer.ifindex, port.ifindex)
    }

    /// An open descriptor of the namespace the calling thread's namespace knows as `id`, or nil.
    private static func namespace(withID id: Int32) -> Int32? {
        for path in candidatePaths() {
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            guard cnetns_nsid_of(descriptor) == id else {
                Glibc.close(descriptor)
                continue
            }
            return descriptor
        }
        return nil
    }

    /// The agent's own namespace, the named ones, then every process's (opened only until one matches).
    private static func candidatePaths() -> [String] {
        let named = ((try? FileManager.default.contentsOfDirectory(atPath: NetworkNamespace.namedDirectory)) ?? [])
            .sorted().map { "\(NetworkNamespace.namedDirectory)/\($0)" }
        let processes = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [])
            .filter { $0.allSatisfy(\.isNumber) }.map { "/proc/\($0)/ns/net" }
        return [NetworkNamespace.host.filePath] + named + processes
    }

    private static func kind(of link: cnetns_link) -> String {
        withUnsafeBytes(of: link.kind) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
