import CTrafficControl
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import PacketKit
import Synchronization

/// A tap's in-kernel mirror on this host: the packets its program matches are copied inside the kernel and
/// sent to the tool through a kernel tunnel device, or transmitted into a port on this host — never to userspace.
///
/// What it adds, all named and marked for the tap (``KernelMirrorNames``):
/// - for a VXLAN output, in the host's namespace, the VXLAN device (`tpv…`) sending to the tool, routed like the
///   agent's own packets — one per tool, shared by the taps sending there (``KernelTunnelDevices``); a port
///   output adds nothing there: its copies are transmitted on the port's veth peer (``Output/port(_:)``);
/// - per namespace of its sources, a veth pair: `tpa…` in the workload's namespace, `tpb…` in the host's,
///   whose ingress hook redirects to the output — everything for a VXLAN output, only what the tap's own
///   program matches for a port (``PortFilter``; the rest meets the drop filter after it) — through the tap's
///   `police` action when it has a bandwidth cap (one action for all its namespaces: one budget per tap per
///   host; copies over it are dropped). Crossing the veth between namespaces drops the copy's route, so the
///   tunnel never lowers the workload's own path MTU. A process in the workload's namespace with `CAP_NET_RAW`
///   can send frames into `tpa…` too, and they reach the tool like copies (a port: only those the tap's filter
///   matches): why the kernel path is opt-in (`--datapath kernel`, and `--kernel-port-delivery` for ports);
/// - per source, on its interface's `clsact` hooks (ingress for `in`, egress for `out`, both for `both`),
///   a `cls_bpf` filter running the tap's libpcap-compiled program whose action mirrors matches to `tpa…`
///   and then lets classification continue, so filters after it (anyone's) still see every packet.
///
/// Everything is removed at the deadline (a task of its own: the server need not be reachable), on
/// ``close()``, and by ``KernelMirrorSweep`` at agent start for what a killed agent left.
///
/// Sources in the host's namespace are refused: the tunnel's own packets leave through the host's interfaces,
/// and a copy of them would be mirrored again. So is the port the mirror delivers into — by its index in its
/// namespace, so no rename hides it: its copies would be mirrored again, without end.
final class KernelMirror: Sendable {

    /// One namespace's veth pair.
    private struct Leg {
        let route: NetlinkRoute
        let workloadEnd: Int32
        let hostEnd: Int32
        let hostPriority: UInt16
        /// The workload's namespace as the leg found it (nil if it could not be read: then no port is there).
        let namespace: NamespaceIdentity?
    }

    private struct State {
        var legs: [NetworkNamespace: Leg] = [:]
        var sources: [KernelMirrorSource] = []
        var policeIndex: UInt32 = 0
        /// The tap's expression and its program, compiled once (all the tap's sources share the expression).
        var program: (expression: String, program: BPFProgram)?
        var closed = false
        /// Sources being added, by namespace: their leg must not be released under them.
        var adding: [NetworkNamespace: Int] = [:]
        /// What the legs released before the close had counted (``releaseUnusedLegs()``): the cap drops of police actions
        /// gone with their last leg, the most the current one had counted when a leg of it went, send drops, refused frames.
        var released = (capDrops: UInt64(0), currentPolice: UInt64(0), sendDrops: UInt64(0), refusedFrames: UInt64(0))
        /// What the kernel had counted when the mirror closed: the filters and devices that held the counts are gone
        /// then, and a tap's counters must not fall back to zero in its last reports.
        var final: (counters: CaptureCounters, refusedFrames: UInt64)?
        /// The kernel's 32-bit counts, widened (``WidenedCount``): the tap's police action's, and each leg's (by the
        /// index of its host end) redirect send failures and hook drops.
        var police = WidenedCount()
        var legCounts: [Int32: LegCounts] = [:]
    }

    /// A leg's 32-bit counts, widened.
    private struct LegCounts {
        var sendFailures = WidenedCount()
        var hookDrops = WidenedCount()
    }

    /// What a leg's redirect counted, widened to 64 bits: copies over the cap (the tap's police action, shared by
    /// its legs), copies it could not send, and for a port output the frames its program refused (``refusedFrames``).
    private struct LegReading {
        var capDrops: UInt64
        var sendFailures: UInt64
        var refused: UInt64
    }

    let names: KernelMirrorNames
    let deadline: Date
    let output: Output
    private let host: NetlinkRoute
    private let outputIndex: Int32
    private let bandwidthCap: UInt64?
    private let state = Mutex(State())
    /// One reading of the kernel's counts at a time, applied before the next is taken: the widened counts
    /// (``WidenedCount``) take their readings in order. Taken before `state`, never while holding it.
    private let reading = Mutex(())
    /// How often the deadline's task reads the counts itself, so that they are read often enough to be widened
    /// (``WidenedCount``) while no status report asks — the server out of reach.
    static let samplingInterval = 10

    /// Creates the tap's tunnel device in the host's namespace (the calling thread must be in it — any
    /// thread of the cooperative pool is), or finds the port's veth peer there, and starts the deadline's clock.
    /// - Parameter bandwidthCap: bits per second, or nil.
    /// - Throws: ``KernelMirrorError``; ``KernelMirrorError/needsUserspace`` when the kernel has no VXLAN, or the
    ///   port is not a veth whose other end is in the host's namespace.
    init(owner: KernelMirrorOwner, tapID: String, output: Output, deadline: Date, bandwidthCap: UInt64?) async throws(KernelMirrorError) {
        let names = KernelMirrorNames(owner: owner, tapID: tapID)
        let host = try NetlinkRoute(subject: "host")
        let index = try await output.acquire(owner: owner, on: host)
        self.names = names
        self.output = output
        self.deadline = deadline
        self.host = host
        self.outputIndex = index
        self.bandwidthCap = bandwidthCap
        // The task holds the mirror until its deadline or its close, whichever comes first: a mirror dropped
        // without close() is still removed at its deadline. The deadline is the wall clock's, which may be
        // stepped: it is looked at again at least every second, and the time left now bounds it (``TapDeadline``).
        let ending = TapDeadline(wall: WallClock.nanoseconds(of: deadline))
        Task { [self] in
            var seconds = 0
            while !state.withLock({ $0.closed }) {
                let left = ending.remaining()
                guard left > 0 else { break }
                try? await Task.sleep(for: .nanoseconds(min(left, 1_000_000_000)))
                seconds += 1
                if seconds % Self.samplingInterval == 0 { sample() }
            }
            close(reason: .deadline)
        }
    }

    /// Mirrors `plan`'s source.
    /// - Throws: ``KernelMirrorError`` (nothing of the source is left behind).
    func add(_ plan: CapturePlan) async throws(KernelMirrorError) -> KernelMirrorSource {
        if plan.source.namespace == .host {
            throw KernelMirrorError(.hostNamespace, subject: "\(plan.source)", detail: Datapath.hostInterfacesReason)
        }
        let program = try compiled(plan.bpf)
        // The port is looked up again for every source: a new leg redirects to its peer as it is now, and the
        // source may not be the port itself (by index, whatever either is named).
        var target: PortTarget?
        if let port = output.port { target = try await PortTarget.resolve(port) }
        let namespace = plan.source.namespace
        state.withLock { $0.adding[namespace, default: 0] += 1 }
        defer {
            state.withLock { state in
                state.adding[namespace, default: 1] -= 1
                if state.adding[namespace] == 0 { state.adding[namespace] = nil }
            }
        }
        let leg = try await leg(for: namespace, program: program, target: target)
        let portHere = target.flatMap { $0.portNamespace == leg.namespace ? $0.portIndex : nil }
        let source = try KernelMirrorSource.install(plan: plan, program: program, route: leg.route, mirrorTo: leg.workloadEnd,
                                                    refusing: portHere, names: names)
        let added = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.sources.append(source)
            return true
        }
        if !added { source.remove(as: .stopped(.deadline)) }
        return source
    }

    /// The tap's program for `expression`, compiled on first use; for a port output, refused when its meaning on
    /// `tpb…` is not the tapped interface's (``PortFilter/refusal(of:)``).
    private func compiled(_ expression: String) throws(KernelMirrorError) -> BPFProgram {
        if let kept = state.withLock({ $0.program }), kept.expression == expression { return kept.program }
        let program: BPFProgram
        do {
            program = try BPFProgram.compile(expression, linkType: .ethernet)
        } catch {
            throw KernelMirrorError(.program, subject: expression, detail: error.message)
        }
        if output.port != nil, let refusal = PortFilter.refusal(of: program) {
            throw KernelMirrorError(.portFilter, subject: expression, detail: refusal)
        }
        state.withLock { $0.program = (expression, program) }
        return program
    }

    /// Deletes the veth pair of each namespace where none of the mirror's sources runs any more (its pods left the
    /// tap, ended by ``KernelMirrorSource/stop()``): kept, it would hold a deleted pod's namespace, with its devices
    /// and sockets, until the tap's end. What the pair counted stays in the mirror's counters.
    func releaseUnusedLegs() {
        let unused = { (state: State) -> [NetworkNamespace: Leg] in
            let used = Set(state.sources.map(\.plan.source.namespace)).union(state.adding.keys)
            return state.legs.filter { !used.contains($0.key) }
        }
        let candidates = state.withLock { state -> [NetworkNamespace: Leg] in
            guard !state.closed else { return [:] }
            state.sources.removeAll { $0.state.hasEnded }
            return unused(state)
        }
        guard !candidates.isEmpty else { return }
        // Read while the legs still count in the mirror's counters; then taken out and added in one step, so no reading
        // of the counters (a close at the deadline included) misses them in between — and no later reading is applied
        // before them (the reading lock), which would make the counts fall back.
        let released = reading.withLock { _ in
            let readings = candidates.map { (namespace: $0.key, leg: $0.value, reading: readInOrder($0.value)) }
            return state.withLock { state -> [Leg] in
                guard !state.closed else { return [] }
                let stillUnused = unused(state)
                var released: [Leg] = []
                for reading in readings where stillUnused[reading.namespace]?.hostEnd == reading.leg.hostEnd {
                    state.legs[reading.namespace] = nil
                    state.legCounts[reading.leg.hostEnd] = nil
                    released.append(reading.leg)
                    guard let counted = reading.reading else { continue }
                    // The police action is the tap's, shared by its legs: its count only grows.
                    state.released.currentPolice = max(state.released.currentPolice, counted.capDrops)
                    state.released.sendDrops &+= counted.sendFailures
                    state.released.refusedFrames &+= counted.refused
                }
                // The police action goes with its last leg: a later leg binds a new one, counting from zero.
                if state.legs.isEmpty, state.adding.isEmpty {
                    state.released.capDrops &+= state.released.currentPolice
                    state.released.currentPolice = 0
                    state.policeIndex = 0
                    state.police = WidenedCount()
                }
                return released
            }
        }
        // Deleting the host's end of a veth deletes the workload's end too. (One that cannot be deleted now is left to
        // the next start's sweep: it carries the agent's alias.)
        for leg in released { _ = ctc_link_delete(host.descriptor, leg.hostEnd) }
    }

    /// The statistics of `leg`'s redirect and, for a port output, the frames its program refused (``refusedFrames``);
    /// nil when the redirect cannot be read. A refused frame meets the drop filter after the redirect, whose verdict
    /// (TC_ACT_SHOT) the kernel counts on `tpb…`'s `clsact` qdisc — as it does the copies the redirect's own actions
    /// dropped (over the cap, or not sent), which their statistics count first. So the refused frames are the qdisc's
    /// drops less those: the qdisc is read first, and a drop of the actions between the two reads can only be missing
    /// from the refused count until the next reading, never added to it; without cap drops or send failures the count
    /// is exact. (A send that failed without a drop verdict — the output's queue full — is subtracted all the same, so
    /// each such failure hides a refusal; an action counting the refusals themselves needs `act_gact`, which this
    /// machine's kernel lacks.) (Counting what the veth received less what the redirect saw was not: a veth counts a copy when it
    /// queues it and the hook runs later, and copies in the queue showed as refused — up to 17 at a time under a flood,
    /// ``KernelPortBoundaryTests``.)
    private func read(_ leg: Leg) -> LegReading? {
        reading.withLock { _ in readInOrder(leg) }
    }

    /// ``read(_:)``, for a caller holding the reading lock.
    private func readInOrder(_ leg: Leg) -> LegReading? {
        var dropped: UInt64 = 0
        let droppedRead = output.port != nil && ctc_clsact_drops(host.descriptor, leg.hostEnd, &dropped) == 0
        var stats = ctc_mirror_stats()
        let statsRead = ctc_mirror_filter_stats(host.descriptor, leg.hostEnd, 0, leg.hostPriority, names.filterHandle, &stats) == 0
        let capped = bandwidthCap != nil
        return state.withLock { state -> LegReading? in
            // A leg released since it was read has had its counts taken: nothing is applied (a later leg may get its
            // host end's index).
            guard state.legs.values.contains(where: { $0.hostEnd == leg.hostEnd }) else {
                return statsRead ? LegReading(capDrops: stats.police_exceeded, sendFailures: stats.mirred_failures, refused: 0) : nil
            }
            var counts = state.legCounts[leg.hostEnd] ?? LegCounts()
            // A request that failed (a timeout, no buffer) leaves the counts as last read.
            if statsRead {
                // Only the tap's recorded action: a reading of another (its index not recorded yet, or a leg that
                // bound a fresh one meanwhile) would look like a wrap of this one's count.
                if capped, state.policeIndex != 0, stats.police_index == state.policeIndex { state.police.update(stats.police_exceeded) }
                counts.sendFailures.update(stats.mirred_failures)
                if droppedRead { counts.hookDrops.update(dropped) }
                state.legCounts[leg.hostEnd] = counts
            }
            var reading = LegReading(capDrops: capped ? state.police.value : 0, sendFailures: counts.sendFailures.value, refused: 0)
            let actions = reading.capDrops &+ reading.sendFailures
            if output.port != nil, counts.hookDrops.value > actions { reading.refused = counts.hookDrops.value - actions }
            return reading
        }
    }

    /// Reads every count once (``samplingInterval``), so that the 32-bit ones are widened while no one else reads.
    private func sample() {
        _ = counters
        _ = refusedFrames
        for source in state.withLock({ $0.sources }) { _ = source.counters }
    }

    /// Packets the tap's bandwidth cap kept from the output, and those the host's side could not send.
    var counters: CaptureCounters {
        if let final = state.withLock({ $0.final }) { return final.counters }
        let (legs, released) = state.withLock { (Array($0.legs.values), $0.released) }
        var counters = CaptureCounters()
        var police = released.currentPolice
        counters.sendDrops = released.sendDrops
        for reading in legs.compactMap(read) {
            // The police action is one for the tap, its count the same through each leg.
            police = max(police, reading.capDrops)
            counters.sendDrops &+= reading.sendFailures
        }
        counters.capDrops = released.capDrops &+ police
        // The device is the tool's, shared by the taps sending there: its failures count for each of them. (A
        // port's peer also carries the workload's own traffic: its failures are not the tap's.)
        if let tunnel = output.tunnel {
            counters.sendDrops &+= KernelTunnelDevices.shared.transmitFailures(tunnel, owner: names.owner, on: host)
        }
        return counters
    }

    /// For a port output, the frames that reached `tpb…` and that the tap's program refused (the drop filter's):
    /// frames a process in a tapped workload wrote into `tpa…` itself, since every copy matched the same program
    /// on its source. The drops of `tpb…`'s hook less those of the redirect's actions (``read(_:)``). Zero for a VXLAN
    /// output, which refuses none.
    var refusedFrames: UInt64 {
        guard output.port != nil else { return 0 }
        if let final = state.withLock({ $0.final }) { return final.refusedFrames }
        let (legs, released) = state.withLock { (Array($0.legs.values), $0.released) }
        return legs.reduce(released.refusedFrames) { $0 &+ (read($1)?.refused ?? 0) }
    }

    /// Removes everything the mirror added; its sources end as ``CaptureState/StopReason/requested``.
    func close() { close(reason: .requested) }

    private func close(reason: CaptureState.StopReason) {
        // Read before anything goes (a mirror closed already answers with what it kept).
        let final = (counters: counters, refusedFrames: refusedFrames)
        let (sources, legs) = state.withLock { state -> ([KernelMirrorSource], [Leg]) in
            guard !state.closed else { return ([], []) }
            state.closed = true
            state.final = final
            defer { state.sources = []; state.legs = [:] }
            return (state.sources, Array(state.legs.values))
        }
        for source in sources { source.remove(as: .stopped(reason)) }
        // Deleting the host's end of a veth deletes the workload's end too.
        for leg in legs { _ = ctc_link_delete(host.descriptor, leg.hostEnd) }
        output.release(owner: names.owner, on: host)
    }

    /// The veth pair of `namespace`, made on first use; for a port output its redirect runs `program` into `target`.
    private func leg(for namespace: NetworkNamespace, program: BPFProgram, target: PortTarget?) async throws(KernelMirrorError) -> Leg {
        if let leg = state.withLock({ $0.legs[namespace] }) { return leg }
        let names = (self.names.veth(for: namespace.reference), self.names.alias)
        let owner = self.names.owner
        let made: (NetlinkRoute, Int32, NamespaceIdentity?)
        do {
            made = try await namespace.run { () throws -> (NetlinkRoute, Int32, NamespaceIdentity?) in
                let route = try NetlinkRoute(subject: "\(namespace)")
                owner.deleteOwn(names.0.workload, on: route)
                // /proc/self names the main thread, which stays in the host's namespace.
                let hostNamespace = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
                guard hostNamespace >= 0 else { throw KernelMirrorError(.veth, subject: names.0.host, code: errno) }
                defer { Glibc.close(hostNamespace) }
                let index = ctc_veth_add(route.descriptor, names.0.workload, names.0.host, hostNamespace)
                guard index >= 0 else { throw KernelMirrorError(.veth, subject: "\(names.0.workload) in \(namespace)", code: errno) }
                // The workload's end sends nothing of its own to the tool (no IPv6 solicitations), then goes up.
                try KernelTunnelDevices.bringUp(index, named: names.0.workload, alias: names.1, on: route, step: .veth)
                return (route, index, NamespaceIdentity(path: "/proc/thread-self/ns/net"))
            }
        } catch let error as KernelMirrorError {
            throw error
        } catch {
            throw KernelMirrorError(.namespace, subject: "\(namespace)", detail: "\(error)")
        }
        let hostEnd = ctc_link_find(host.descriptor, names.0.host, nil, nil)
        guard hostEnd >= 0 else {
            let code = errno
            // Deleting the workload's end deletes the pair, wherever the host's end went.
            _ = ctc_link_delete(made.0.descriptor, made.1)
            throw KernelMirrorError(.veth, subject: names.0.host, code: code)
        }
        try KernelTunnelDevices.bringUp(hostEnd, named: names.0.host, alias: names.1, on: host, step: .veth)
        do {
            let priority = try redirect(from: hostEnd, subject: names.0.host, program: program, target: target)
            let leg = Leg(route: made.0, workloadEnd: made.1, hostEnd: hostEnd, hostPriority: priority, namespace: made.2)
            let kept = state.withLock { state -> Leg? in
                if let existing = state.legs[namespace] { return existing }
                guard !state.closed else { return nil }
                state.legs[namespace] = leg
                return leg
            }
            guard let kept, kept.hostEnd == hostEnd else {
                _ = ctc_link_delete(host.descriptor, hostEnd)
                if let kept { return kept }
                throw KernelMirrorError(.veth, subject: names.0.host, code: ECANCELED)
            }
            return kept
        } catch let error as KernelMirrorError {
            _ = ctc_link_delete(host.descriptor, hostEnd)
            throw error
        } catch {
            _ = ctc_link_delete(host.descriptor, hostEnd)
            throw KernelMirrorError(.veth, subject: names.0.host, detail: "\(error)")
        }
    }

    /// On the host's end of a veth: what arrives is transmitted on the output, through the tap's police action —
    /// everything into a VXLAN device, only what `program` matches into a port (`target`'s peer, as just looked up).
    private func redirect(from hostEnd: Int32, subject: String, program: BPFProgram, target: PortTarget?) throws(KernelMirrorError) -> UInt16 {
        guard ctc_clsact_add(host.descriptor, hostEnd) >= 0 else { throw KernelMirrorError(.qdisc, subject: subject, code: errno) }
        let everything = [BPFInstruction(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: UInt32(BPFProgram.defaultSnaplen))]
        let matched = target == nil ? everything : program.instructions
        let outputIndex = target?.peerIndex ?? self.outputIndex
        let cookie = names.cookie
        let priority: UInt16 = 1
        let policeIndex = state.withLock { $0.policeIndex }
        let status = matched.map(\.socketFilter).withUnsafeBufferPointer { program in
            cookie.withUnsafeBufferPointer { cookie in
                var actions = ctc_mirror_actions()
                actions.target_ifindex = outputIndex
                actions.mirror = 0
                if let bandwidthCap {
                    actions.police_rate = max(bandwidthCap / 8, 1)
                    actions.police_burst = UInt32(min(TokenBucket.defaultBurst(for: bandwidthCap) / 8, UInt64(UInt32.max)))
                    actions.police_index = policeIndex
                }
                actions.cookie = cookie.baseAddress
                actions.handle = names.filterHandle
                return ctc_mirror_filter_add(host.descriptor, hostEnd, 0, priority, program.baseAddress, UInt16(program.count), &actions)
            }
        }
        guard status == 0 else { throw KernelMirrorError(.filter, subject: subject, code: errno) }
        if bandwidthCap != nil, policeIndex == 0 {
            var stats = ctc_mirror_stats()
            if ctc_mirror_filter_stats(host.descriptor, hostEnd, 0, priority, names.filterHandle, &stats) == 0 {
                state.withLock { if $0.policeIndex == 0 { $0.policeIndex = stats.police_index } }
            }
        }
        return priority
    }
}

extension BPFInstruction {
    /// The instruction as the kernel's classic BPF takes it.
    var socketFilter: sock_filter { sock_filter(code: code, jt: jt, jf: jf, k: k) }
}

extension IPv4Address {
    /// The address as a 32-bit value in network byte order (as `in_addr.s_addr`).
    var networkOrder: UInt32 { rawValue.bigEndian }
}
