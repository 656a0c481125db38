import Crypto
import Foundation
import TapsterCore

/// What one agent must run: its taps and the `port`-target frames it receives from other hosts. The
/// ``AgentHub`` stamps it with a revision to make the agent's ``DesiredTapSet``.
struct AgentPlan: Sendable, Equatable {
    var taps: [DesiredTap] = []
    var receptions: [DesiredPortReception] = []
    var recorders: [DesiredRecorder] = []

    /// The plan as the desired set sent to the agent.
    func desired(revision: UInt64) -> DesiredTapSet {
        var set = DesiredTapSet(revision: revision, taps: taps, receptions: receptions)
        set.recorders = recorders
        return set
    }
}

/// Computes, from the control plane's state, what every agent must run. Pure: the same inputs give
/// the same plans, ordered (taps by id, sources by workload then interface), so plans compare equal
/// exactly when nothing changed.
///
/// Rules:
/// - only active taps before their deadline, whose filter and target exist (a tap `pending` approval never reaches an agent);
/// - sources: on each host, the workloads the filter selects within the tap's tenant (``TenantScope``;
///   by labels, and by `ports` when given:
///   then only those interfaces), every interface of each — except the interface of every live tap's
///   `port` target, which no tap ever captures from (its delivered frames would be mirrored again: into
///   itself, or — two taps delivering into each other's monitors — round and round);
/// - BPF: the filter's expression (BPF and rules) AND, with a peer selector, `(host A or host B …)`
///   over the addresses of the peer workloads on every host; a tap whose peer selector matches no
///   address captures nothing and is sent to no agent;
/// - snaplen from the target's payload (0 for full packets), direction from the filter, the target's
///   bandwidth cap, the tap's deadline;
/// - a capture's tap (``Tap/capture``) narrows all this: fewer workloads and interfaces, its BPF AND-ed,
///   a shorter snap length;
/// - destination from the target: a tunnel (ERSPAN II/III, VXLAN, GRE); `port`: delivery into the
///   interface whose id is the target's port — locally on its own host, otherwise tunnelled to that
///   host's agent (its `tunnel_address`, the tap's secret GRE key from ``TunnelKeys``), which then gets a
///   ``DesiredPortReception`` naming the tunnel addresses of the hosts that send (it drops
///   frames from any other); hosts that cannot reach the port's host (it has no agent or no tunnel
///   address) or cannot be told apart there (they have no tunnel address themselves) get no
///   assignment; `stream` and `store`: to the server (capture id = tap id), at the capture's replica.
enum DesiredTapsPlanner {
    /// Everything a plan depends on.
    struct Inputs: Sendable {
        var taps: [Tap]
        var filters: [Filter]
        var targets: [Target]
        var workloads: [Workload]
        var agents: [Agent]
        var now: Date
        /// The secret the taps' GRE keys are derived from: the store's (``TunnelKeys/secret(in:)``) for
        /// every plan sent to agents; a fresh random one by default, for plans that are only inspected.
        var tunnelKeySecret = SymmetricKey(size: .bits256)
        /// The flight recorders (``plannedRecorders(_:workloads:everywhere:filters:excluding:)``).
        var recorders: [Recorder] = []
    }

    /// The plan of every agent that is not revoked (empty when it has nothing to do), by agent name; only of
    /// the agents in `only` when given (the same plans as a plan of all, for fewer agents: see
    /// ``agents(concernedBy:in:holding:)``).
    static func plan(_ inputs: Inputs, for only: Set<String>? = nil) -> [String: AgentPlan] {
        let agents = inputs.agents.filter { $0.state != .revoked }
        var plans = Dictionary(agents.filter { only?.contains($0.name) ?? true }.map { ($0.name, AgentPlan()) },
                               uniquingKeysWith: { first, _ in first })
        let agentsByName = Dictionary(agents.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // Only the planned hosts' workloads can be their sources (a `port` tap still looks at every host:
        // its receiving host must name them all).
        let candidates = only.map { only in inputs.workloads.filter { only.contains($0.host) } } ?? inputs.workloads
        let filters = Dictionary(inputs.filters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let targets = Dictionary(inputs.targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var greKeys = TunnelKeys(secret: inputs.tunnelKeySecret)
        let liveTaps = inputs.taps.sorted(by: { $0.id < $1.id }).filter { $0.state.reachesAgents && $0.deadline > inputs.now }
        let deliveryPorts = Set(liveTaps.compactMap { tap in targets[tap.target].flatMap { $0.kind == .port ? $0.spec.portId : nil } })

        for tap in liveTaps {
            guard let filter = filters[tap.filter], let target = targets[tap.target],
                  let filterBPF = expression(of: filter.spec, workloads: inputs.workloads) else { continue }
            let portDestination = target.kind == .port ? port(target.spec.portId, in: inputs.workloads) : nil
            if target.kind == .port, portDestination == nil { continue }
            let sourcesByHost = sources(of: filter.spec, within: .of(tap), narrowedBy: tap.capture,
                                        in: portDestination == nil ? candidates : inputs.workloads, excluding: deliveryPorts)
            // A look-back's start is each host's (``lookingBack(_:of:host:capturing:recorders:workloads:filters:)``).
            let assignment = DesiredTap(
                tapID: tap.id, deadline: tap.deadline,
                bpf: tap.capture.map { $0.expression(narrowing: filterBPF) ?? "" } ?? filterBPF,
                snaplen: snaplen(target.spec.effectivePayload, narrowedBy: tap.capture),
                direction: filter.spec.effectiveDirection,
                bandwidthCapBitsPerSecond: target.spec.bandwidthCap.map(\.bitsPerSecond),
                destination: destination(of: target, tap: tap))

            var remoteSources: [String] = []
            for (host, sources) in sourcesByHost.sorted(by: { $0.key < $1.key }) where agentsByName[host] != nil {
                var hostAssignment = assignment
                hostAssignment.sources = sources
                hostAssignment = lookingBack(hostAssignment, of: tap, host: host, capturing: filter,
                                             recorders: inputs.recorders, workloads: inputs.workloads, filters: filters)
                if let port = portDestination {
                    var delivery = PortDelivery(host: port.workload.host, netns: port.workload.netns, interface: port.interface.name)
                    if host != port.workload.host {
                        guard let tunnel = agentsByName[port.workload.host]?.tunnelAddress, !tunnel.isEmpty,
                              let source = agentsByName[host]?.tunnelAddress, !source.isEmpty else { continue }
                        delivery.tunnel = PortDelivery.Tunnel(address: tunnel, greKey: greKeys.key(for: tap.id, host: port.workload.host))
                        remoteSources.append(source)
                    }
                    hostAssignment.destination = .port(delivery)
                }
                plans[host]?.taps.append(hostAssignment)
            }
            if let port = portDestination, !remoteSources.isEmpty {
                let reception = DesiredPortReception(
                    tapID: tap.id, greKey: greKeys.key(for: tap.id, host: port.workload.host), netns: port.workload.netns,
                    interface: port.interface.name, deadline: tap.deadline, allowedSources: Set(remoteSources).sorted())
                plans[port.workload.host]?.receptions.append(reception)
            }
        }
        for (host, recorders) in plannedRecorders(inputs.recorders, workloads: candidates, everywhere: inputs.workloads, filters: filters,
                                                                 excluding: deliveryPorts) {
            plans[host]?.recorders = recorders
        }
        return plans
    }

    // MARK: Parts

    /// The complete BPF expression: the filter's traffic expression AND its peers' addresses. `nil`
    /// when the filter cannot select anything (its peer selector matches no address) or is invalid.
    static func expression(of filter: FilterSpec, workloads: [Workload]) -> String? {
        let traffic: String?
        do { traffic = try filter.trafficExpression() } catch { return nil }
        var clauses = traffic.map { [$0] } ?? []
        if let peers = filter.peerSelector {
            let addresses = Set(workloads.filter { peers.matches($0.labels) }.flatMap { $0.interfaces.flatMap(\.ips) }.map(\.description))
            guard !addresses.isEmpty else { return nil }
            clauses.append("(" + addresses.sorted().map { "host \($0)" }.joined(separator: " or ") + ")")
        }
        return clauses.joined(separator: " and ")
    }

    /// Capture sources by host: every selected workload's interfaces (only the filter's `ports` when
    /// given; a capture's narrowing applied), without the excluded interfaces (by id).
    static func sources(of filter: FilterSpec, within scope: TenantScope, narrowedBy capture: CaptureNarrowing? = nil,
                        in workloads: [Workload], excluding excluded: Set<String>) -> [String: [DesiredTapSource]] {
        var byHost: [String: [DesiredTapSource]] = [:]
        for workload in workloads where filter.selects(workload.spec, within: scope) && (capture?.selects(workload.spec) ?? true) {
            for interface in workload.interfaces where !excluded.contains(interface.id) && (filter.ports?.contains(interface.id) ?? true)
                && (capture?.includes(interface: interface.name) ?? true) {
                byHost[workload.host, default: []].append(DesiredTapSource(workload: workload.name, netns: workload.netns,
                                                                           interface: interface.name))
            }
        }
        return byHost.mapValues { $0.sorted { ($0.workload, $0.interface) < ($1.workload, $1.interface) } }
    }

    /// The workload interface a `port` target delivers into.
    static func port(_ id: String?, in workloads: [Workload]) -> (workload: Workload, interface: WorkloadInterface)? {
        guard let id else { return nil }
        for workload in workloads {
            if let interface = workload.interfaces.first(where: { $0.id == id }) { return (workload, interface) }
        }
        return nil
    }

    /// A tunnel or server-stream destination (a `port` target's is replaced per source host, which it
    /// depends on). Numbers out of range are clamped, as they always were on the wire (validation keeps them in).
    static func destination(of target: Target, tap: Tap) -> TapDestination {
        let address = target.spec.destination?.description ?? ""
        switch target.kind {
        case .erspan:
            let sessionID = UInt16(truncatingIfNeeded: UInt32(clamping: target.spec.sessionId ?? 0))
            return target.spec.erspanVersion == 3 ? .erspanIII(address: address, sessionID: sessionID)
                : .erspanII(address: address, sessionID: sessionID)
        case .vxlan:
            return .vxlan(address: address, vni: UInt32(clamping: target.spec.vni ?? 0),
                          udpPort: UInt16(truncatingIfNeeded: UInt32(clamping: target.spec.udpPort ?? TargetSpec.defaultVXLANPort)))
        case .gre:
            return .gre(address: address, key: target.spec.greKey)
        case .flows:
            return .flows
        case .stream, .store, .port:
            // To the replica that runs the capture (where its reader is), whichever replica plans.
            return .serverStream(captureID: tap.id, replicaAddress: tap.capture?.replica?.agentAddress)
        }
    }

    /// The target's payload as a snap length (0: whole packets), or a capture's smaller one.
    static func snaplen(_ payload: Payload, narrowedBy capture: CaptureNarrowing? = nil) -> UInt32 {
        if let capture, capture.snaplen != nil { return UInt32(clamping: capture.effectiveSnaplen(under: payload)) }
        switch payload {
        case .full: return 0
        case .headers(let snaplen): return UInt32(clamping: snaplen)
        }
    }
}
