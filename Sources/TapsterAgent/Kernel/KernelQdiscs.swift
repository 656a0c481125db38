import CTrafficControl
import Glibc
import Synchronization

/// The `clsact` qdiscs the agent adds to workload interfaces for its mirror filters. The agent marks a qdisc
/// it added (``ctc_clsact_add_marked``: a filter no packet reaches, with the agent's cookie), so the kernel
/// itself says whose it is — to this run, and to the next one after a kill (``KernelMirrorSweep``). When the
/// agent's last filter on an interface goes, ``ctc_qdisc_release`` applies the one rule: while another agent
/// (of another name on the host) still mirrors there, nothing — the last agent decides; then a qdisc an agent
/// marked goes, unless someone else's filters hang on it (then only the mark goes); a qdisc that was there
/// before any agent stays.
///
/// Adding filters and releasing the qdisc happen under one lock, so a tap removing the last filter never
/// deletes the qdisc another tap of this agent is about to put its filter on.
final class KernelQdiscs: Sendable {
    /// The agent's qdiscs.
    static let shared = KernelQdiscs()

    private let lock = Mutex<Void>(())

    /// Runs `install` with a `clsact` qdisc on `interface` (in the namespace `route` acts in), adding and
    /// marking it as `owner`'s when missing; released again when `install` throws.
    func installing<T>(on interface: Int32, route: NetlinkRoute, owner: KernelMirrorOwner, subject: String,
                       _ install: () throws(KernelMirrorError) -> T) throws(KernelMirrorError) -> T {
        let result: Result<T, KernelMirrorError> = lock.withLock { _ in
            let status = owner.qdiscMarkCookie.withUnsafeBufferPointer { ctc_clsact_add_marked(route.descriptor, interface, $0.baseAddress) }
            guard status >= 0 else {
                let code = errno
                let detail = status == -2 ? "marking the qdisc as the agent's"
                    : status == -3 ? "the interface has an ingress qdisc, which has no egress hook: the kernel path needs clsact" : nil
                return .failure(KernelMirrorError(.qdisc, subject: subject, code: code, detail: detail))
            }
            do throws(KernelMirrorError) {
                return .success(try install())
            } catch {
                Self.release(interface, route: route, owner: owner)
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Runs `remove` (which deletes the agent's filters on `interface`), then releases the qdisc.
    func removing(on interface: Int32, route: NetlinkRoute, owner: KernelMirrorOwner, _ remove: () -> Void) {
        lock.withLock { _ in
            remove()
            Self.release(interface, route: route, owner: owner)
        }
    }

    private static func release(_ interface: Int32, route: NetlinkRoute, owner: KernelMirrorOwner) {
        let prefix = owner.cookiePrefix
        _ = prefix.withUnsafeBufferPointer { ctc_qdisc_release(route.descriptor, interface, $0.baseAddress, Int32($0.count)) }
    }
}
