import Foundation

/// A tap's lifecycle: `pending → active → stopped | expired | failed`, and `pending → rejected` when an admin
/// refuses the approval it waits for.
public enum TapState: String, Codable, Sendable, CaseIterable {
    case pending, active, stopped, expired, failed, rejected

    /// Whether the tap has ended (no packets flow, only history remains).
    public var isEnded: Bool { self == .stopped || self == .expired || self == .failed || self == .rejected }
    /// Whether the tap counts against its owner's quota (a request waiting for approval counts too).
    public var isLive: Bool { self == .pending || self == .active }
    /// Whether agents are sent the tap: only an active one — a pending tap waits for its approval and never reaches an agent.
    public var reachesAgents: Bool { self == .active }
}

/// Who stopped a tap by request.
public enum StopActor: String, Codable, Sendable {
    /// The owner (or a member of the tap's tenant).
    case user
    /// An admin, stopping someone else's tap.
    case admin
}

/// What happens to a tap.
public enum TapEvent: Sendable, Equatable {
    case activate
    case stop(by: StopActor, actor: String)
    case expire
    case fail(reason: String)
    /// An admin other than the requester approves a pending request (``Policy/requireApprover(_:of:)`` decides who may).
    case approve(approver: String, approverID: String, reason: String?)
    /// An admin other than the requester refuses it: the tap ends `rejected`.
    case reject(approver: String, approverID: String, reason: String)
}

/// An owner's request for traffic — filter + target + duration — and where it stands.
///
/// This record is the tap's desired state (what agents will be sent); per-agent status is
/// kept apart in ``TapAgentStatus`` records and shown in ``agents`` when present.
public struct Tap: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    /// The tenant the tap belongs to; `nil` for an admin's tap outside every tenant.
    public var tenant: String?
    /// The name of the user who asked for it, as it was then (shown; never used to decide anything).
    public var owner: String
    /// The id of the user who asked for it: ownership is by id, so a new user who takes an old name
    /// inherits nothing. `nil` only on a tap whose owner no longer exists.
    public var ownerID: String?
    public var filter: String
    public var target: String
    public var description: String?
    public var state: TapState
    public var duration: TapDuration
    public var createdAt: Date
    /// When the tap ends by itself.
    public var deadline: Date
    public var endedAt: Date?
    public var stoppedBy: StopActor?
    /// The user who stopped it, when stopped.
    public var stoppedByUser: String?
    /// Why it failed, when it failed.
    public var failureReason: String?
    /// The tap this one re-activates.
    public var reactivatedFrom: String?
    /// How many known workloads the filter matched when the tap was created.
    public var matchedWorkloads: Int
    /// Per-agent status and counters, when agents have reported.
    public var agents: [TapAgentStatus]?
    /// How the capture this tap runs as narrows its filter; absent on every tap that is not a capture.
    public var capture: CaptureNarrowing?
    /// The four-eyes approval this tap waited or waits for; absent on a tap that needed none.
    public var approval: TapApproval?

    public init(id: String = Identifier.make(), tenant: String?, owner: String, ownerID: String? = nil, filter: String, target: String,
                description: String? = nil, state: TapState = .active, duration: TapDuration, createdAt: Date,
                reactivatedFrom: String? = nil, matchedWorkloads: Int = 0, capture: CaptureNarrowing? = nil) {
        self.id = id
        self.tenant = tenant
        self.owner = owner
        self.ownerID = ownerID
        self.filter = filter
        self.target = target
        self.description = description
        self.state = state
        self.duration = duration
        self.createdAt = createdAt
        self.deadline = createdAt.addingTimeInterval(TimeInterval(duration.seconds))
        self.reactivatedFrom = reactivatedFrom
        self.matchedWorkloads = matchedWorkloads
        self.capture = capture
    }

    /// When the tap started taking packets: its creation, or its approval when it waited for one (its deadline
    /// counts from there too). A capture's look-back is measured back from it.
    public var startedAt: Date {
        approval?.state == .approved ? approval?.decidedAt ?? createdAt : createdAt
    }

    /// Seconds left before the deadline, or 0 once ended or past it.
    public func remaining(at now: Date) -> TimeInterval {
        state.isLive ? max(0, deadline.timeIntervalSince(now)) : 0
    }

    /// The tap after `event` at `now`, or `invalid_state` when the event does not apply.
    public func applying(_ event: TapEvent, at now: Date) throws(TapsterError) -> Tap {
        var next = self
        switch (state, event) {
        case (.pending, .activate):
            next.state = .active
        case (.pending, .stop(let by, let actor)), (.active, .stop(let by, let actor)):
            next.state = .stopped
            next.stoppedBy = by
            next.stoppedByUser = actor
            next.endedAt = now
        case (.pending, .approve(let approver, let approverID, let reason)) where approval?.state == .pending:
            next.state = .active
            next.approval?.decide(.approved, by: approver, id: approverID, at: now, reason: reason)
            // The deadline counts from approval: the owner gets the whole duration they asked for.
            next.deadline = now.addingTimeInterval(TimeInterval(duration.seconds))
        case (.pending, .reject(let approver, let approverID, let reason)) where approval?.state == .pending:
            next.state = .rejected
            next.approval?.decide(.rejected, by: approver, id: approverID, at: now, reason: reason)
            next.endedAt = now
        case (.pending, .expire), (.active, .expire):
            next.state = .expired
            next.endedAt = now
            if next.approval?.state == .pending { next.approval?.decide(.expired, by: nil, id: nil, at: now, reason: nil) }
        case (.pending, .fail(let reason)), (.active, .fail(let reason)):
            next.state = .failed
            next.failureReason = reason
            next.endedAt = now
        default:
            throw TapsterError(.invalidState, "tap \(id) is \(state.rawValue); it cannot \(event.verb)")
        }
        return next
    }
}

extension TapEvent {
    var verb: String {
        switch self {
        case .activate: "be activated"
        case .stop: "be stopped"
        case .expire: "expire"
        case .fail: "fail"
        case .approve: "be approved"
        case .reject: "be rejected"
        }
    }
}

extension TapApproval {
    mutating func decide(_ outcome: State, by approver: String?, id: String?, at now: Date, reason: String?) {
        state = outcome
        self.approver = approver
        approverID = id
        decidedAt = now
        self.reason = reason
    }
}

/// One agent's view of one tap: whether it applied it, and its counters.
public struct TapAgentStatus: Codable, Sendable, Equatable {
    /// Whether the agent's capture is running.
    public enum State: String, Codable, Sendable {
        case pending, applied, failed, stopped
    }

    public var agent: String
    public var state: State
    public var reason: String?
    public var packets: UInt64
    public var bytes: UInt64
    /// Every drop, whatever its cause (the sum of ``dropsByCause``).
    public var drops: UInt64
    /// The drops by cause, when the agent reported them.
    public var dropsByCause: DropCounts?
    /// The path the tap's packets take on this host, when the agent reported it.
    public var datapath: Datapath?
    /// Why not in the kernel, for ``Datapath/userspace``.
    public var datapathReason: String?
    /// A `flows` tap's losses on this host, when there were any: flows its bounded table had no room for, and
    /// HTTP messages it could not read.
    public var flowsDropped: UInt64?
    public var httpUnparsed: UInt64?
    public var updatedAt: Date

    /// Where an agent's copies of a tap's packets are made.
    public enum Datapath: String, Codable, Sendable {
        /// Inside the kernel: a classifier running the tap's BPF program and a mirror action to a tunnel device.
        case kernel
        /// By libpcap in the agent, which sends them on.
        case userspace
    }

    public init(agent: String, state: State, reason: String? = nil, packets: UInt64 = 0, bytes: UInt64 = 0, drops: UInt64 = 0,
                dropsByCause: DropCounts? = nil, datapath: Datapath? = nil, datapathReason: String? = nil, flowsDropped: UInt64? = nil,
                httpUnparsed: UInt64? = nil, updatedAt: Date) {
        self.flowsDropped = flowsDropped
        self.httpUnparsed = httpUnparsed
        self.datapath = datapath
        self.datapathReason = datapathReason
        self.agent = agent
        self.state = state
        self.reason = reason
        self.packets = packets
        self.bytes = bytes
        self.drops = drops
        self.dropsByCause = dropsByCause
        self.updatedAt = updatedAt
    }
}

/// Packets an agent lost, by cause: never hidden, always counted.
public struct DropCounts: Codable, Sendable, Equatable {
    /// Dropped by the kernel before libpcap read them (`pcap_stats`).
    public var kernel: UInt64
    /// Refused by the target's bandwidth cap.
    public var cap: UInt64
    /// Lost because sending to the destination failed.
    public var send: UInt64
    /// Lost because a stream buffer was full.
    public var buffer: UInt64

    public init(kernel: UInt64 = 0, cap: UInt64 = 0, send: UInt64 = 0, buffer: UInt64 = 0) {
        self.kernel = kernel
        self.cap = cap
        self.send = send
        self.buffer = buffer
    }

    /// All drops (saturating, so that a misbehaving agent cannot make the sum wrap).
    public var total: UInt64 {
        [kernel, cap, send, buffer].reduce(UInt64(0)) { sum, next in
            let (value, overflow) = sum.addingReportingOverflow(next)
            return overflow ? .max : value
        }
    }
}

