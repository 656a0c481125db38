import CTrafficControl
import Glibc
import Synchronization

/// The `clsact` qdiscs the agent added to workload interfaces for its mirror filters. A qdisc goes with the
/// last of the agent's filters on it, whichever tap added it — and stays when it was there before the agent
/// or someone else's filters still hang on it.
///
/// Adding filters and removing them (with the qdisc) happen under one lock, so a tap removing the last
/// filter never deletes the qdisc another tap is about to put its filter on.
final class KernelQdiscs: Sendable {
    /// The agent's qdiscs.
    static let shared = KernelQdiscs()

    private struct Key: Hashable {
        var namespace: NetworkNamespace
        var interface: Int32
    }

    private let added = Mutex<Set<Key>>([])

    /// Runs `install` with a `clsact` qdisc on `interface` (of `namespace`, which `route` acts in), adding it
    /// when missing; a qdisc added here and left without filters when `install` throws is deleted again.
    func installing<T>(on interface: Int32, in namespace: NetworkNamespace, route: NetlinkRoute, subject: String,
                       _ install: () throws(KernelMirrorError) -> T) throws(KernelMirrorError) -> T {
        let key = Key(namespace: namespace, interface: interface)
        let result: Result<T, KernelMirrorError> = added.withLock { added in
            let status = ctc_clsact_add(route.descriptor, interface)
            guard status >= 0 else { return .failure(KernelMirrorError(.qdisc, subject: subject, code: errno)) }
            if status == 1 { added.insert(key) }
            do throws(KernelMirrorError) {
                return .success(try install())
            } catch {
                Self.deleteIfUnused(key, route: route, added: &added)
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Runs `remove` (which deletes the agent's filters on `interface`), then deletes the qdisc when the
    /// agent added it and no filter is left on either hook.
    func removing(on interface: Int32, in namespace: NetworkNamespace, route: NetlinkRoute, _ remove: () -> Void) {
        added.withLock { added in
            remove()
            Self.deleteIfUnused(Key(namespace: namespace, interface: interface), route: route, added: &added)
        }
    }

    private static func deleteIfUnused(_ key: Key, route: NetlinkRoute, added: inout Set<Key>) {
        guard added.contains(key) else { return }
        let ingress = ctc_filter_count(route.descriptor, key.interface, 0)
        let egress = ctc_filter_count(route.descriptor, key.interface, 1)
        // The interface may be gone, and its qdisc with it.
        if ingress < 0, errno == ENODEV {
            added.remove(key)
        } else if ingress == 0, egress == 0, ctc_clsact_delete(route.descriptor, key.interface) == 0 || [EINVAL, ENOENT, ENODEV].contains(errno) {
            added.remove(key)
        }
    }
}
