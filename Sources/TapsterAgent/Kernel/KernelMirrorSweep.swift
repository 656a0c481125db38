import CTrafficControl
import Glibc
import Logging
import TapsterWire

/// Removes what an earlier run of this agent (``KernelMirrorOwner``: another agent's are left alone) added to the kernel for its mirrors and did not remove (it was
/// killed): in the host's namespace the tunnel devices and veths (the veths' other ends go with them), and
/// in each workload's namespace the filters whose actions carry the agent's cookie
/// (``KernelMirrorOwner/cookiePrefix``). Nothing without this agent's marks is touched.
///
/// Run at agent start, before the first desired set is applied: a tap still wanted is set up again at once.
enum KernelMirrorSweep {
    /// Sweeps the host's namespace (the calling thread's: any thread of the cooperative pool).
    /// - Returns: how many filters and devices were removed.
    @discardableResult
    static func sweepHost(owner: KernelMirrorOwner, logger: Logger) -> Int {
        sweep(owner, in: "host", logger: logger)
    }

    /// Sweeps each namespace the inventory names (a thread per namespace, which enters it).
    @discardableResult
    static func sweepWorkloads(of inventory: Tapster_Agent_V1_Inventory, owner: KernelMirrorOwner, logger: Logger) async -> Int {
        var removed = 0
        for reference in Set(inventory.workloads.map(\.netns)) where !reference.isEmpty {
            let namespace = NetworkNamespace(reference: reference)
            removed += (try? await namespace.run { sweep(owner, in: "\(namespace)", logger: logger) }) ?? 0
        }
        return removed
    }

    private static func sweep(_ owner: KernelMirrorOwner, in place: String, logger: Logger) -> Int {
        guard let route = try? NetlinkRoute(subject: place) else { return 0 }
        var unreadable: Int32 = 0
        let (removed, code) = owner.cookiePrefix.withUnsafeBufferPointer { prefix in
            (ctc_sweep(route.descriptor, prefix.baseAddress, Int32(prefix.count), owner.aliasPrefix, &unreadable), errno)
        }
        if removed < 0 {
            logger.warning("could not sweep what an earlier run left of its in-kernel mirrors",
                           metadata: ["where": "\(place)", "error": "\(String(cString: strerror(code)))"])
        } else if removed > 0 {
            logger.notice("removed what an earlier run left of its in-kernel mirrors", metadata: ["where": "\(place)", "removed": "\(removed)"])
        }
        if unreadable > 0 {
            logger.warning("could not read the filters of some interfaces: what an earlier run left there stays until the next start",
                           metadata: ["where": "\(place)", "hooks": "\(unreadable)"])
        }
        return max(Int(removed), 0)
    }
}
