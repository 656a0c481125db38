import Foundation

/// Where a capture's packets go: streamed live to the requester, or written to object storage.
public enum CaptureMode: String, Codable, Sendable, CaseIterable {
    /// Streamed live through the API (`GET /captures/{id}/stream`); a `stream` target.
    case stream
    /// Written to the capture store for later download; a `store` target.
    case store

    /// The kind of target a grant must name for this mode.
    public var targetKind: TargetKind { self == .stream ? .stream : .store }
}

/// How a capture narrows the tap it runs as: the grant's filter defines what the owner may see, and a
/// capture can only see less — some of the selected workloads, one interface, shorter packets, fewer
/// packets by BPF, and limits on how much it takes.
///
/// Carried by the capture's ``Tap`` (``Tap/capture``), so that admission, expiry, stopping and the agents'
/// plans treat it as the tap it is; absent on every other tap.
public struct CaptureNarrowing: Codable, Sendable, Equatable {
    /// Streamed or stored.
    public var mode: CaptureMode
    /// Only the selected workloads whose labels also match this (`-l app=web`).
    public var selector: LabelSelector?
    /// Only this interface of each selected workload (`-i eth0`).
    public var interface: String?
    /// Bytes kept of each packet, at most the target's payload (`-s 256`).
    public var snaplen: Int?
    /// A libpcap expression AND-ed with the filter's (tcpdump's trailing words).
    public var bpf: String?
    /// The capture ends after this many packets (`-c`).
    public var packetLimit: UInt64?
    /// The capture ends after this many packet bytes.
    public var byteLimit: UInt64?
    /// The replica running the capture, where agents send its packets (the plan names its address). Set
    /// by the server that creates the capture, never taken from a request; nil: the agent's own replica.
    public var replica: CaptureReplica?
    /// How far back the capture starts (`--before`): its first packets are a recorder's from `before` the
    /// capture's creation (``Recorder``). nil: live only.
    public var before: TapDuration?
    /// Only these of the selected workloads, as `host/workload`: what a trigger's alert pointed at. Set by
    /// the server's trigger service, never taken from a request.
    public var workloads: [String]?
    /// Since when the capture's owner may see what it takes (``TapAdmission/Admitted/entitledSince``): the earliest a
    /// look-back reaches. Set by the server at admission, never taken from a request; nil: no bound (an admin's).
    public var entitledSince: Date?

    public init(mode: CaptureMode, selector: LabelSelector? = nil, interface: String? = nil, snaplen: Int? = nil,
                bpf: String? = nil, packetLimit: UInt64? = nil, byteLimit: UInt64? = nil) {
        self.mode = mode
        self.selector = selector
        self.interface = interface
        self.snaplen = snaplen
        self.bpf = bpf
        self.packetLimit = packetLimit
        self.byteLimit = byteLimit
    }

    /// Whether a workload the filter selects stays selected: its labels match ``selector``, and it has
    /// the ``interface`` when one is named.
    public func selects(_ workload: WorkloadSpec) -> Bool {
        guard selector?.matches(workload.labels) ?? true else { return false }
        if let workloads, !workloads.contains("\(workload.host)/\(workload.name)") { return false }
        guard let interface else { return true }
        return workload.interfaces.contains { $0.name == interface }
    }

    /// Where the look-back of a capture that started at `startedAt` begins: `before` earlier, but never before
    /// ``entitledSince``; nil without a look-back. The one rule the agents' plans and the capture's warning use.
    public func lookBackStart(startedAt: Date) -> Date? {
        guard let before else { return nil }
        let wanted = startedAt.addingTimeInterval(-TimeInterval(before.seconds))
        guard let entitledSince, entitledSince > wanted else { return wanted }
        return min(entitledSince, startedAt)
    }

    /// Where the look-back of one workload begins, which has belonged to its tenant since `tenantSince`
    /// (``Record/tenancyStart``): ``lookBackStart(startedAt:)``, and for an owner's capture (one with
    /// ``entitledSince``) never before `tenantSince` — what the workload sent before was another tenant's, or no
    /// tenant's — even when that is after the capture started (a workload that joined the tenant since: the planner
    /// then captures it live only). An admin's capture is not bounded. nil without a look-back.
    public func lookBackStart(startedAt: Date, tenantSince: Date) -> Date? {
        guard let start = lookBackStart(startedAt: startedAt) else { return nil }
        guard entitledSince != nil, tenantSince > start else { return start }
        return tenantSince
    }

    /// Whether the capture takes packets of the interface named `name`.
    public func includes(interface name: String) -> Bool {
        interface.map { $0 == name } ?? true
    }

    /// The complete expression: the filter's (`base`, nil when it takes everything) AND the capture's.
    public func expression(narrowing base: String?) -> String? {
        switch (base.flatMap { $0.isEmpty ? nil : $0 }, bpf) {
        case (nil, nil): nil
        case (let base?, nil): base
        case (nil, let own?): own
        case (let base?, let own?): "(\(base)) and (\(own))"
        }
    }

    /// The bytes kept of each packet under a target's payload: the capture's snaplen when it is smaller.
    public func effectiveSnaplen(under payload: Payload) -> Int {
        min(snaplen ?? payload.snaplen, payload.snaplen)
    }
}
