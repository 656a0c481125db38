import CTrafficControl
import Glibc
import Synchronization

/// The VXLAN devices of this host's in-kernel mirrors, one per tool (address, VNI, port) and shared by every
/// tap sending there: the kernel allows one VXLAN device per VNI and port in a namespace. The last tap to
/// release a device deletes it.
///
/// A device exists to send: whoever can reach the host's VXLAN port must not get frames into the host through
/// it. Its ingress hook drops every frame (a direct-action `cls_bpf` filter, so no `act_gact` is needed);
/// besides, it has no address and no route, a strict reverse-path filter, IPv6 off and no ARP answers.
final class KernelTunnelDevices: Sendable {
    /// The agent's devices.
    static let shared = KernelTunnelDevices()

    private struct Entry {
        var index: Int32
        var users: Int
    }

    /// A device is one agent's (names and aliases carry the agent) to one tool.
    private struct Key: Hashable {
        var agent: String
        var tunnel: KernelMirror.Tunnel
    }

    private let entries = Mutex<[Key: Entry]>([:])

    /// The device of `tunnel`, created on first use (any leftover of the same name with the agent's alias
    /// first deleted), counted as used once more.
    func acquire(_ tunnel: KernelMirror.Tunnel, owner: KernelMirrorOwner, on host: NetlinkRoute) throws(KernelMirrorError) -> Int32 {
        let key = Key(agent: owner.agent, tunnel: tunnel)
        let result: Result<Int32, KernelMirrorError> = entries.withLock { entries in
            if var entry = entries[key] {
                entry.users += 1
                entries[key] = entry
                return .success(entry.index)
            }
            let name = owner.tunnelName(for: tunnel)
            owner.deleteOwn(name, on: host)
            let index = ctc_vxlan_add(host.descriptor, name, tunnel.vni, tunnel.remote.networkOrder, tunnel.port)
            guard index >= 0 else {
                let code = errno
                // The kernel keeps one VXLAN device per VNI and port in a namespace, whatever its remote.
                let detail = code == EEXIST ? "another VXLAN device on this host uses VNI \(tunnel.vni) on port \(tunnel.port)" : nil
                return .failure(KernelMirrorError(.tunnel, subject: name, code: code, detail: detail))
            }
            do throws(KernelMirrorError) {
                try Self.bringUp(index, named: name, alias: owner.tunnelAlias(for: tunnel), on: host, step: .tunnel)
            } catch {
                return .failure(error)
            }
            entries[key] = Entry(index: index, users: 1)
            return .success(index)
        }
        return try result.get()
    }

    /// The priority of a device's drop filter: the last on its ingress hook, after a veth's redirect.
    static let dropPriority: UInt16 = .max

    /// Names a device the agent just created (`alias`), sets it to refuse input (``refuseInput(on:)``, and a drop
    /// filter at ``dropPriority`` on its ingress hook) and brings it up — or deletes it and throws.
    static func bringUp(_ index: Int32, named name: String, alias: String, on route: NetlinkRoute,
                        step: KernelMirrorError.Step) throws(KernelMirrorError) {
        _ = ctc_link_set_alias(route.descriptor, index, alias)
        refuseInput(on: name)
        var failure: KernelMirrorError?
        if ctc_clsact_add(route.descriptor, index) < 0 {
            failure = KernelMirrorError(.qdisc, subject: name, code: errno)
        } else if ctc_drop_filter_add(route.descriptor, index, 0, dropPriority) != 0 {
            failure = KernelMirrorError(.filter, subject: name, code: errno, detail: "the drop filter on its ingress")
        } else if ctc_link_up(route.descriptor, index) != 0 {
            failure = KernelMirrorError(step, subject: name, code: errno)
        }
        if let failure {
            _ = ctc_link_delete(route.descriptor, index)
            throw failure
        }
    }

    /// The interface's settings that keep what arrives on it out of the host (see the type's notes) and keep
    /// it from sending anything of its own (IPv6 router solicitations and listener reports would reach the tool).
    /// Applies to the calling thread's namespace.
    static func refuseInput(on name: String) {
        for (path, value) in [("ipv4/conf/\(name)/rp_filter", "1"), ("ipv4/conf/\(name)/arp_ignore", "8"),
                              ("ipv6/conf/\(name)/disable_ipv6", "1")] {
            let descriptor = open("/proc/sys/net/" + path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            _ = value.withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
        }
    }

    /// One use of `tunnel`'s device fewer; the last deletes it.
    func release(_ tunnel: KernelMirror.Tunnel, owner: KernelMirrorOwner, on host: NetlinkRoute) {
        let key = Key(agent: owner.agent, tunnel: tunnel)
        entries.withLock { entries in
            guard var entry = entries[key] else { return }
            entry.users -= 1
            if entry.users > 0 {
                entries[key] = entry
            } else {
                entries[key] = nil
                _ = ctc_link_delete(host.descriptor, entry.index)
            }
        }
    }

    /// The device's transmit drops and errors (shared by the taps sending there).
    func transmitFailures(_ tunnel: KernelMirror.Tunnel, owner: KernelMirrorOwner, on host: NetlinkRoute) -> UInt64 {
        guard let index = entries.withLock({ $0[Key(agent: owner.agent, tunnel: tunnel)]?.index }) else { return 0 }
        var failures: UInt64 = 0
        return ctc_link_tx_failures(host.descriptor, index, &failures) == 0 ? failures : 0
    }
}
