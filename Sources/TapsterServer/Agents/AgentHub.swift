import Foundation
import GRPCCore
import Logging
import PacketKit
import ServiceLifecycle
import TapsterCore
import TapsterStore

/// The live control channels, one per agent, and what each agent must run.
///
/// Level-triggered: on every change it hears of (from the ``ChangeFeed``: taps, filters, targets,
/// workloads, agents; and its own channels opening) the hub plans every agent's desired set from the
/// store (``DesiredTapsPlanner``) and sends it to each connected agent whose set differs from what it
/// was last sent; a periodic resync sends every connected agent its current set again (same set, same
/// revision: idempotent). Revisions strictly increase, across restarts too: each new one is
/// `max(last + 1, now in Unix milliseconds)`, and the last is kept in the store's settings.
public actor AgentHub {
    /// The store setting holding the last revision issued.
    static let revisionSetting = "agents.desired_revision"

    /// One agent's open control channel.
    private struct Session {
        let id: UUID
        let outbound: AsyncThrowingStream<DesiredTapSet, any Error>.Continuation
        /// The revision last sent on this channel.
        var sentRevision: UInt64?
    }

    private let store: any Store
    private let clock: @Sendable () -> Date
    private let logger: Logger
    /// Signals that something the plans depend on changed; holds at most one pending signal.
    private nonisolated let signal: AsyncStream<Void>.Continuation
    private let signals: AsyncStream<Void>
    /// The committed changes, read by ``run(resync:)``; subscribed at once so none is missed before it runs.
    private nonisolated let feed: ChangeFeed.Subscription
    private var sessions: [String: Session] = [:]
    /// What each agent was last planned, with its revision (kept across reconnections).
    private var planned: [String: (plan: AgentPlan, revision: UInt64)] = [:]
    private var lastRevision: UInt64?
    /// The agent channel's address, `HOST:PORT`, once it listens.
    private(set) var endpoint: String?

    /// - Parameter changes: the feed of committed changes it re-plans on (by default one nobody publishes to).
    init(store: any Store, changes: ChangeFeed = ChangeFeed(), clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.store = store
        self.feed = changes.subscribe()
        self.clock = clock
        self.logger = logger
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a new plan soon (coalesced: many changes in a row make one plan).
    public nonisolated func changed() {
        signal.yield()
    }

    /// Records where agents connect, for join-token command lines.
    func setEndpoint(_ address: String) {
        endpoint = address
    }

    /// Names of the agents with an open control channel.
    var connectedAgents: [String] { sessions.keys.sorted() }

    // MARK: Channels

    /// Registers `name`'s new control channel, which will receive its desired sets (the ``AgentService``
    /// puts them on the wire). An older channel of the same agent is closed (`aborted`): one stream per
    /// agent. Returns the channel's id.
    func attach(_ name: String, outbound: AsyncThrowingStream<DesiredTapSet, any Error>.Continuation) -> UUID {
        let session = Session(id: UUID(), outbound: outbound)
        if let old = sessions.updateValue(session, forKey: name) {
            old.outbound.finish(throwing: RPCError(code: .aborted, message: "agent \(name) opened a newer control channel; this one is closed"))
        }
        changed()
        return session.id
    }

    /// Forgets the channel `id` of `name`; returns whether it was the agent's current one (so the
    /// caller marks the agent disconnected only then).
    func detach(_ name: String, id: UUID) -> Bool {
        guard sessions[name]?.id == id else { return false }
        sessions[name] = nil
        return true
    }

    /// Closes every channel with `error` (at shutdown); each is detached as its RPC ends.
    func closeAll(with error: RPCError) {
        for session in sessions.values { session.outbound.finish(throwing: error) }
    }

    /// Closes `name`'s control channel and upload streams at once with `error` (e.g. `permissionDenied`
    /// when it is revoked or enrolled again).
    func close(_ name: String, with error: RPCError) {
        sessions.removeValue(forKey: name)?.outbound.finish(throwing: error)
        if let open = uploads.removeValue(forKey: name) {
            for upload in open.values { upload.finish(throwing: error) }
        }
        planned[name] = nil
    }

    // MARK: Planning

    /// Plans every agent and sends the sets that changed (all of them when `resend`). Call only from
    /// ``run()`` (or tests): one plan at a time.
    func push(resend: Bool = false) async throws {
        guard !sessions.isEmpty else { return }
        var plans: [String: AgentPlan] = [:]
        for (name, plan) in try await currentPlans() { plans[name] = await compiled(plan) }
        var revision: UInt64?
        for name in sessions.keys.sorted() {
            let plan = plans[name] ?? AgentPlan()
            if planned[name]?.plan != plan {
                if revision == nil { revision = try await nextRevision() }
                planned[name] = (plan, revision!)
            }
            guard let current = planned[name], var session = sessions[name] else { continue }
            if resend || session.sentRevision != current.revision {
                session.outbound.yield(current.plan.desired(revision: current.revision))
                session.sentRevision = current.revision
                sessions[name] = session
            }
        }
        for name in planned.keys where plans[name] == nil { planned[name] = nil }
    }

    /// Every agent's plan from the store as it is now, remembered in ``assignments``.
    private func currentPlans() async throws -> [String: AgentPlan] {
        let inputs = try await DesiredTapsPlanner.Inputs(
            taps: store.listTaps(TapQuery(states: Set(TapState.allCases.filter(\.isLive)))),
            filters: store.list(.filters, tenants: nil), targets: store.list(.targets, tenants: nil),
            workloads: store.list(.workloads, tenants: nil), agents: store.listAgents(), now: clock(),
            tunnelKeySecret: TunnelKeys.secret(in: store))
        let plans = DesiredTapsPlanner.plan(inputs)
        assignments.record(plans, at: clock())
        return plans
    }

    // MARK: What agents may send

    /// The taps each agent was planned, lately: whose packets and statuses it may send.
    private var assignments = TapAssignments()

    /// `tapID` as planned for `agent` now or within ``TapAssignments/grace`` (its last batches and final
    /// status come after it leaves the plan); `nil` when it is not. Planned afresh from the store when the
    /// answer is not known here (an agent whose control channel is on another replica, or a plan not yet
    /// made since a restart), or when `refresh`.
    func assignment(of tapID: String, to agent: String, refresh: Bool = false) async throws -> TapAssignments.Assignment? {
        try await assignments(of: [tapID], to: agent, refresh: refresh)[tapID]
    }

    /// The assignments of `tapIDs` to `agent` (see ``assignment(of:to:refresh:)``), planning afresh at most once.
    func assignments(of tapIDs: some Collection<String>, to agent: String, refresh: Bool = false) async throws -> [String: TapAssignments.Assignment] {
        func known() -> [String: TapAssignments.Assignment] {
            let at = clock()
            return Dictionary(tapIDs.compactMap { id in assignments.assignment(of: id, to: agent, at: at).map { (id, $0) } },
                              uniquingKeysWith: { first, _ in first })
        }
        let found = known()
        if !refresh, found.count == Set(tapIDs).count { return found }
        _ = try await currentPlans()
        return known()
    }

    // MARK: Upload streams

    /// Each agent's open `SendPackets` streams, ended with the agent's control channel when it is revoked
    /// or enrols again (``close(_:with:)``).
    private var uploads: [String: [UUID: AsyncThrowingStream<Never, any Error>.Continuation]] = [:]

    /// Registers an upload stream of `name`; the stream returned ends with the error that closes the agent.
    func attachUpload(_ name: String) -> (id: UUID, closed: AsyncThrowingStream<Never, any Error>) {
        let (closed, continuation) = AsyncThrowingStream.makeStream(of: Never.self, throwing: (any Error).self)
        let id = UUID()
        uploads[name, default: [:]][id] = continuation
        return (id, closed)
    }

    /// Forgets upload stream `id` of `name` (it ended).
    func detachUpload(_ name: String, id: UUID) {
        uploads[name]?.removeValue(forKey: id)?.finish()
        if uploads[name]?.isEmpty == true { uploads[name] = nil }
    }

    /// libpcap's verdict on each expression planned so far: `nil` when it compiles, else why not.
    private var bpfVerdicts: [String: String?] = [:]

    /// `plan` without any tap whose expression libpcap does not compile (logged): agents only ever
    /// receive expressions the server compiled once.
    /// (Compiled off the cooperative pool, within ``FilterCompiler/timeout``.)
    private func compiled(_ plan: AgentPlan) async -> AgentPlan {
        var plan = plan
        var kept: [DesiredTap] = []
        for tap in plan.taps {
            guard !tap.bpf.isEmpty else {
                kept.append(tap)
                continue
            }
            if bpfVerdicts.count > 4096 { bpfVerdicts.removeAll() }
            let verdict: String?
            if let known = bpfVerdicts[tap.bpf] {
                verdict = known
            } else {
                do throws(BPFCompileError) {
                    _ = try await BPFProgram.compileOffPool(tap.bpf, timeout: FilterCompiler.timeout)
                    verdict = nil
                } catch {
                    verdict = error.message
                }
                bpfVerdicts[tap.bpf] = .some(verdict)
            }
            if let verdict {
                logger.error("a tap's expression does not compile; it is not sent to agents",
                             metadata: ["tap": "\(tap.tapID)", "bpf": "\(tap.bpf)", "error": "\(verdict)"])
            } else {
                kept.append(tap)
            }
        }
        plan.taps = kept
        return plan
    }

    /// A revision greater than every earlier one, recorded in the store before it is used.
    private func nextRevision() async throws -> UInt64 {
        let last: UInt64
        if let lastRevision {
            last = lastRevision
        } else {
            last = try await store.setting(Self.revisionSetting).flatMap(UInt64.init) ?? 0
        }
        let now = UInt64(max(0, (clock().timeIntervalSince1970 * 1000).rounded()))
        let next = max(last + 1, now)
        try await store.setSetting(Self.revisionSetting, String(next))
        lastRevision = next
        return next
    }

    // MARK: Running

    /// Plans on every change, and resends every set each `resync` (which also catches changes made
    /// by another replica); until cancelled.
    func run(resync: Duration) async {
        let resyncer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: resync)
                await self?.requestResync()
            }
        }
        // Every change, and the feed's own `resync` (this hub fell behind), asks for one plan of every
        // agent; a burst of changes makes one plan (``changed()`` holds one signal). A `Change` names its
        // tap, workload (host) or agent: planning only the agents it concerns is the next step.
        let listener = Task { [feed, signal] in
            for await _ in feed { signal.yield() }
        }
        defer {
            resyncer.cancel()
            listener.cancel()
        }
        for await _ in signals {
            if Task.isCancelled { break }
            let resend = resyncRequested
            resyncRequested = false
            do {
                try await push(resend: resend)
            } catch is CancellationError {
                break
            } catch {
                logger.error("planning the agents' desired taps failed; retrying at the next change or resync",
                             metadata: ["error": "\(error)"])
            }
        }
        closeAll(with: RPCError(code: .unavailable, message: "the server is shutting down"))
    }

    private var resyncRequested = false

    private func requestResync() {
        resyncRequested = true
        changed()
    }
}

/// Runs the ``AgentHub``'s planning loop beside the HTTP server, until shutdown.
struct AgentHubService: Service {
    /// How often every connected agent is sent its desired set again.
    static let defaultResync: Duration = .seconds(15)

    let hub: AgentHub
    var resync: Duration = AgentHubService.defaultResync

    func run() async throws {
        await cancelWhenGracefulShutdown { [hub, resync] in await hub.run(resync: resync) }
    }
}
