import CTrafficControl
import Glibc
import PacketKit
import Synchronization
import TapsterCore

/// One source of an in-kernel mirror: the `cls_bpf` filters on its interface's `clsact` hooks (one per
/// direction) that copy what the tap's program matches to the tap's veth (the qdisc is ``KernelQdiscs``').
/// Only Ethernet interfaces: the program is compiled for Ethernet frames.
///
/// Its counters are the kernel's: the mirror action's packets and bytes, and the copies it could not send.
/// Reading them also checks the filters are still there with the tap's cookie: one removed by someone else
/// (anyone with `CAP_NET_ADMIN` in the workload's namespace) fails the source, so a tap never shows as
/// running while nothing is mirrored.
final class KernelMirrorSource: SourceCapture {
    /// One filter: on which hook, at which priority.
    private struct Hook {
        let egress: Bool
        let priority: UInt16
    }

    /// ARPHRD_ETHER.
    private static let ethernet: Int32 = 1

    let plan: CapturePlan
    /// The socket in the workload's namespace, let go once the filters are removed: an ended source kept for its
    /// counts must not hold a namespace its pod has left.
    private let route: Mutex<NetlinkRoute?>
    private let interface: Int32
    private let hooks: [Hook]
    private let owner: KernelMirrorOwner
    private let cookie: [UInt8]
    private let handle: UInt32
    private let current = Mutex<(state: CaptureState, last: CaptureCounters)>((.running, CaptureCounters()))
    /// Each hook's failed sends, a 32-bit count in the kernel, widened (``WidenedCount``); held while the hooks are
    /// read, so that the counts take their readings in order.
    private let sendFailures: Mutex<[WidenedCount]>

    private init(plan: CapturePlan, route: NetlinkRoute, interface: Int32, hooks: [Hook], names: KernelMirrorNames) {
        self.plan = plan
        self.route = Mutex(route)
        self.interface = interface
        self.hooks = hooks
        self.sendFailures = Mutex(Array(repeating: WidenedCount(), count: hooks.count))
        self.owner = names.owner
        self.cookie = names.cookie
        self.handle = names.filterHandle
    }

    /// Adds the filters of `plan` on its interface, in the namespace `route` was opened in, mirroring to the
    /// interface `mirrorTo` of that namespace; refused when the interface is `port` (the index, in that namespace,
    /// of the port the tap delivers into), whose copies would be mirrored again, without end.
    /// - Throws: ``KernelMirrorError``; whatever was added is removed first.
    static func install(plan: CapturePlan, program: BPFProgram, route: NetlinkRoute, mirrorTo: Int32, refusing port: Int32?,
                        names: KernelMirrorNames) throws(KernelMirrorError) -> KernelMirrorSource {
        let subject = "\(plan.source)"
        let interface = ctc_link_find(route.descriptor, plan.source.interface, nil, nil)
        guard interface >= 0 else { throw KernelMirrorError(.interface, subject: subject, code: errno) }
        guard interface != port else {
            throw KernelMirrorError(.portIsSource, subject: subject,
                                    detail: "the tap delivers into this interface: its copies would be mirrored again, without end")
        }
        let type = ctc_link_type(route.descriptor, interface)
        guard type >= 0 else { throw KernelMirrorError(.interface, subject: subject, code: errno) }
        guard type == ethernet else { throw KernelMirrorError(.linkType, subject: subject, detail: "not Ethernet (ARPHRD \(type))") }
        let hooks = try KernelQdiscs.shared.installing(on: interface, route: route, owner: names.owner, subject: subject) {
            () throws(KernelMirrorError) -> [Hook] in
            try addFilters(plan: plan, program: program, route: route, interface: interface, mirrorTo: mirrorTo,
                           cookie: names.cookie, handle: names.filterHandle)
        }
        return KernelMirrorSource(plan: plan, route: route, interface: interface, hooks: hooks, names: names)
    }

    /// Adds one filter per hook of `plan`'s direction; on failure removes those it added and throws.
    private static func addFilters(plan: CapturePlan, program: BPFProgram, route: NetlinkRoute, interface: Int32, mirrorTo: Int32,
                                   cookie: [UInt8], handle: UInt32) throws(KernelMirrorError) -> [Hook] {
        let subject = "\(plan.source)"
        var hooks: [Hook] = []
        let instructions = program.instructions.map(\.socketFilter)
        guard let count = UInt16(exactly: instructions.count), count <= maximumInstructions else {
            throw KernelMirrorError(.program, subject: plan.bpf, code: E2BIG,
                                    detail: "\(instructions.count) instructions, the kernel takes \(maximumInstructions)")
        }
        for egress in Self.egressHooks(for: plan.direction) {
            var priority: UInt16 = 0
            let status = instructions.withUnsafeBufferPointer { program in
                cookie.withUnsafeBufferPointer { cookie in
                    guard ctc_free_priority(route.descriptor, interface, egress ? 1 : 0, &priority) == 0 else { return Int32(-1) }
                    var actions = ctc_mirror_actions()
                    actions.target_ifindex = mirrorTo
                    actions.mirror = 1
                    actions.cookie = cookie.baseAddress
                    actions.handle = handle
                    return ctc_mirror_filter_add(route.descriptor, interface, egress ? 1 : 0, priority, program.baseAddress,
                                                 count, &actions)
                }
            }
            guard status == 0 else {
                let code = errno
                for hook in hooks { _ = ctc_filter_delete(route.descriptor, interface, hook.egress ? 1 : 0, hook.priority, handle) }
                throw KernelMirrorError(.filter, subject: subject, code: code)
            }
            hooks.append(Hook(egress: egress, priority: priority))
        }
        return hooks
    }

    /// BPF_MAXINSNS: the longest classic program the kernel takes.
    static let maximumInstructions: UInt16 = 4096

    /// `in` is what the workload receives (the ingress hook), `out` what it sends (egress).
    private static func egressHooks(for direction: Direction) -> [Bool] {
        switch direction {
        case .in: [false]
        case .out: [true]
        case .both: [false, true]
        }
    }

    var state: CaptureState { current.withLock { $0.state } }

    var counters: CaptureCounters {
        if current.withLock({ $0.state.hasEnded }) { return current.withLock { $0.last } }
        return sendFailures.withLock { sendFailures in readInOrder(widening: &sendFailures) }
    }

    /// ``counters`` as the kernel has them now, `sendFailures` (the lock's) taking this reading.
    private func readInOrder(widening sendFailures: inout [WidenedCount]) -> CaptureCounters {
        var counters = CaptureCounters()
        var stats = ctc_mirror_stats()
        for (position, hook) in hooks.enumerated() {
            switch read(hook, into: &stats) {
            case .ours:
                break
            case .gone:
                let reason = "the mirror filter on \(plan.source.interface) (\(hook.egress ? "egress" : "ingress"), priority "
                    + "\(hook.priority)) was removed by someone else"
                fail(reason)
                return current.withLock { $0.last }
            case .unreadable:
                // A request that failed (a timeout, no buffer): the filter is still there as far as anyone
                // knows; the counters stay as last read until the next try.
                return current.withLock { $0.last }
            }
            counters.packets &+= stats.mirred_packets
            // At the ingress hook the kernel counts from the network header: add the Ethernet header, so bytes
            // are wire lengths as on the userspace path.
            counters.bytes &+= stats.mirred_bytes &+ (hook.egress ? 0 : stats.mirred_packets &* 14)
            counters.sendDrops &+= sendFailures[position].update(stats.mirred_failures)
        }
        current.withLock { if !$0.state.hasEnded { $0.last = counters } }
        return counters
    }

    func stop() { remove(as: .stopped(.requested)) }

    /// Removes the filters (and the qdisc the agent added, once no filter is left on it) and ends as `final`.
    func remove(as final: CaptureState) {
        let last = counters
        let first = current.withLock { current -> Bool in
            guard !current.state.hasEnded else { return false }
            current.state = final
            current.last = last
            return true
        }
        guard first else { return }
        removeFilters()
    }

    func ended() async throws -> CaptureState { state }

    private func fail(_ reason: String) {
        let error = CaptureError(stage: .capture, reason: reason, source: plan.source)
        let first = current.withLock { current -> Bool in
            guard !current.state.hasEnded else { return false }
            current.state = .failed(error)
            return true
        }
        if first { removeFilters() }
    }

    /// What reading a hook's filter found.
    private enum Reading { case ours, gone, unreadable }

    /// Reads the statistics of `hook`'s filter: the tap's (its handle and cookie), gone (the kernel has no
    /// filter there, or one without the tap's cookie), or unreadable (the request failed otherwise).
    private func read(_ hook: Hook, into stats: inout ctc_mirror_stats) -> Reading {
        guard let route = route.withLock({ $0 }) else { return .unreadable }
        return read(hook, on: route, into: &stats)
    }

    private func read(_ hook: Hook, on route: NetlinkRoute, into stats: inout ctc_mirror_stats) -> Reading {
        guard ctc_mirror_filter_stats(route.descriptor, interface, hook.egress ? 1 : 0, hook.priority, handle, &stats) == 0 else {
            return [ENOENT, EINVAL, ENODEV].contains(errno) ? .gone : .unreadable
        }
        return withUnsafeBytes(of: stats.cookie, { Array($0) }) == cookie ? .ours : .gone
    }

    /// Deletes the source's filters: by priority and the tap's own handle, so only the tap's filter can go,
    /// and not when it is known to carry someone else's cookie (a filter the agent cannot read is deleted
    /// anyway: leaving it would mirror past the tap's end).
    private func removeFilters() {
        guard let route = route.withLock({ route in defer { route = nil }; return route }) else { return }
        KernelQdiscs.shared.removing(on: interface, route: route, owner: owner) {
            var stats = ctc_mirror_stats()
            for hook in hooks where read(hook, on: route, into: &stats) != .gone {
                _ = ctc_filter_delete(route.descriptor, interface, hook.egress ? 1 : 0, hook.priority, handle)
            }
        }
    }
}
