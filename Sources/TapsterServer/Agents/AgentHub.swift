import Foundation
import GRPCCore
import Logging
import PacketKit
import ServiceLifecycle
import TapsterCore
import TapsterStore

/// The live control channels, one per agent, and what each agent must run.
///
/// Incremental, over a level-triggered safety net. The hub keeps the planner's inputs in memory
/// (``PlanningModel``); each change it hears of (from the ``ChangeFeed``: taps, filters, targets, workloads,
/// agents; and its own channels opening) re-reads only the object the change names, and re-plans only the
/// agents the change concerns (``DesiredTapsPlanner/agents(concernedBy:in:holding:)``: a tap's hosts, a
/// workload's host, the hosts of the taps using a filter or target). A burst of changes is one such step.
/// It sends each concerned, connected agent its set when it differs from what it was last sent.
/// ``Change/everything`` and the feed's resync (this hub fell behind) read everything again and plan
/// every agent. The periodic resync (every ``AgentHubService/defaultResync``) plans every agent from the
/// model and sends every connected agent its current set again (same set, same revision: idempotent);
/// every ``reloadEvery``-th one reads everything again first.
/// Revisions strictly increase, across restarts too: each new one is `max(last + 1, now in Unix
/// milliseconds)`, and the last is kept in the store's settings.
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
    /// The planner's inputs as last read; nil until the first plan (which reads everything).
    private var model: PlanningModel?
    /// The changes heard of since the last plan.
    private var pending: Set<Change> = []
    /// Whether the next plan must read everything (``Change/everything``, the feed's resync, a failed plan).
    private var pendingEverything = false
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

    /// Each agent with an open control channel, and that channel's id (a reconnection is a new id).
    var connectedChannels: [String: UUID] { sessions.mapValues(\.id) }

    // MARK: Channels

    /// Registers `name`'s new control channel, which will receive its desired sets (the ``AgentService``
    /// puts them on the wire). An older channel of the same agent is closed (`aborted`): one stream per
    /// agent. Returns the channel's id.
    func attach(_ name: String, outbound: AsyncThrowingStream<DesiredTapSet, any Error>.Continuation) -> UUID {
        let session = Session(id: UUID(), outbound: outbound)
        if let closing = closedForShutdown {
            outbound.finish(throwing: closing)
            return session.id
        }
        if let old = sessions.updateValue(session, forKey: name) {
            old.outbound.finish(throwing: RPCError(code: .aborted, message: "agent \(name) opened a newer control channel; this one is closed"))
        }
        // The new channel has been sent nothing: the next plan includes this agent.
        pending.insert(.agent(name: name, .updated))
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

    /// Closes every control channel and upload stream with `error` (at shutdown); each is detached as its RPC ends.
    /// An upload left open would keep the server up: the gRPC server's graceful shutdown waits for every RPC, and an
    /// agent sends a capture's packets until the capture's deadline (it runs on while its control channel is away).
    func closeAll(with error: RPCError) {
        closedForShutdown = error
        for session in sessions.values { session.outbound.finish(throwing: error) }
        for upload in uploads.values.flatMap(\.values) { upload.finish(throwing: error) }
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

    /// Reads everything, plans every agent and sends the sets that changed (all of them when `resend`).
    /// Call only from ``run(resync:)`` (or tests): one plan at a time.
    func push(resend: Bool = false) async throws {
        try await plan(changes: nil, resend: resend)
    }

    /// Applies `changes` to the model and plans the agents they concern (with `nil`: reads everything and
    /// plans every agent), then sends each of those that is connected its set if it changed since it was
    /// last sent (every connected agent's when `resend`).
    private func plan(changes: Set<Change>?, resend: Bool) async throws {
        var working: PlanningModel
        var concerned: Set<String>?
        if let changes, let model {
            working = model
            for change in changes { try await working.refresh(change, from: store) }
        } else {
            working = try await PlanningModel.load(from: store)
        }
        let unsent = Set(sessions.filter { $0.value.sentRevision == nil }.keys)
        if changes != nil { try await working.refreshForFirstSets(hosts: unsent, from: store) }
        model = working
        // Workload and agent changes alone, while no tap reads other hosts' workloads, concern only their
        // own hosts: then only those hosts' workloads are planned over (not the whole fleet's).
        let hosts = resend ? nil : changes.flatMap { changes in Self.hosts(namedBy: changes).map { $0.union(unsent) } }
        let inputs = working.inputs(now: clock(), tunnelKeySecret: try await TunnelKeys.secret(in: store),
                                    onHosts: working.readsOtherHosts ? nil : hosts)
        if let changes, !resend {
            let holding = holdings()
            concerned = []
            for change in changes {
                guard let agents = DesiredTapsPlanner.agents(concernedBy: change, in: inputs, holding: holding) else {
                    concerned = nil
                    break
                }
                concerned?.formUnion(agents)
            }
            // A channel that has been sent nothing yet gets its set whatever changed.
            concerned?.formUnion(unsent)
        }
        guard !sessions.isEmpty else { return }
        let plans = DesiredTapsPlanner.plan(inputs, for: concerned)
        assignments.record(plans, at: clock())
        var revision: UInt64?
        for name in (concerned.map { $0.filter { sessions[$0] != nil } } ?? Array(sessions.keys)).sorted() {
            let plan = await compiled(plans[name] ?? AgentPlan())
            if planned[name]?.plan != plan {
                if revision == nil { revision = try await nextRevision() }
                planned[name] = (plan, revision!)
            }
            guard let current = planned[name], var session = sessions[name] else { continue }
            if resend || session.sentRevision != current.revision {
                session.outbound.yield(current.plan.desired(revision: current.revision))
                logger.debug("desired set sent", metadata: [
                    "agent": "\(name)", "revision": "\(current.revision)", "taps": "\(current.plan.taps.map(\.tapID).sorted())",
                    "receptions": "\(current.plan.receptions.count)", "first": "\(session.sentRevision == nil)",
                    "changes": "\(changes.map { $0.map(String.init(describing:)).sorted() } ?? ["everything"])",
                    "workloads": "\(inputs.workloads.count)", "taps_live": "\(inputs.taps.count)"])
                session.sentRevision = current.revision
                sessions[name] = session
            }
        }
        // Agents no longer planned (deleted, revoked) are forgotten.
        for name in concerned ?? Set(planned.keys) where plans[name] == nil { planned[name] = nil }
    }

    /// The hosts `changes` name when they are all workload and agent changes; `nil` otherwise.
    private static func hosts(namedBy changes: Set<Change>) -> Set<String>? {
        var hosts: Set<String> = []
        for change in changes {
            if let host = change.host {
                hosts.insert(host)
            } else if case .namespaceMapping = change {
                continue
            } else {
                return nil
            }
        }
        return hosts
    }

    /// Tap id → the agents whose last plan holds it (sending, or receiving for a `port`).
    private func holdings() -> [String: Set<String>] {
        var holding: [String: Set<String>] = [:]
        for (agent, entry) in planned {
            for tap in entry.plan.taps { holding[tap.tapID, default: []].insert(agent) }
            for reception in entry.plan.receptions { holding[reception.tapID, default: []].insert(agent) }
        }
        return holding
    }

    /// Plans `agent` afresh, remembered in ``assignments``: from the model, with `taps` and the agent's own
    /// host read again from the store first (what an assignment is asked about may be newer than the
    /// model: a workload that just joined a capture, a tap whose change is still on its way from another
    /// replica). A few small reads, never the whole fleet's: after a restart every agent's first status
    /// report asks, and reading everything for each was a reconnect storm's whole cost.
    ///
    /// Of the changes pending for the next plan it applies the taps', filters' and targets' (they may
    /// concern any agent), and other hosts' only when a live tap reads other hosts: a restarted server's
    /// pending changes name every reconnecting agent, and each of a thousand first reports re-reading a
    /// thousand agents (on a copy of the model each) starved the store and the hub's first plan for minutes.
    private func planAfresh(_ agent: String, taps: Set<String>) async throws {
        var working = pendingEverything ? try await PlanningModel.load(from: store) : try await currentModel()
        // The refreshed copy is not kept: a plan running meanwhile keeps the model, and its changes must
        // not be overwritten by this older copy. What the next plan will apply, this one applies too.
        let hostChanges = pending.filter { $0.host != nil }
        for change in pending where change.host == nil { try await working.refresh(change, from: store) }
        for id in taps.sorted() {
            try await working.refresh(.tap(id: id, .updated), from: store)
            // A tap's filter and target may be newer than the model as well.
            guard let tap = working.tap(id) else { continue }
            try await working.refresh(.filter(name: tap.filter, .updated), from: store)
            try await working.refresh(.target(name: tap.target, .updated), from: store)
        }
        let readsOtherHosts = working.readsOtherHosts
        if readsOtherHosts {
            for change in hostChanges { try await working.refresh(change, from: store) }
        }
        // The agent's own host as committed now, in place of the model's (no copy of the model to change).
        let reading = try await PlanningModel.HostReading.read(agent, from: store)
        let inputs = working.inputs(now: clock(), tunnelKeySecret: try await TunnelKeys.secret(in: store),
                                    onHosts: readsOtherHosts ? nil : [agent], replacing: reading)
        assignments.record(DesiredTapsPlanner.plan(inputs, for: [agent]), at: clock())
    }

    /// The model, read from the store once when there is none yet (one read shared by every caller
    /// meanwhile: a reconnecting fleet asks a thousand times at once).
    private func currentModel() async throws -> PlanningModel {
        if let model { return model }
        if let modelLoad { return try await modelLoad.value }
        let load = Task { [store] in try await PlanningModel.load(from: store) }
        modelLoad = load
        defer { modelLoad = nil }
        let loaded = try await load.value
        // Kept only when no plan has made a model meanwhile (a plan's model is as new or newer).
        if model == nil { model = loaded }
        return loaded
    }

    /// The read of ``currentModel()`` under way, if any.
    private var modelLoad: Task<PlanningModel, any Error>?

    // MARK: What agents may send

    /// The taps each agent was planned, lately: whose packets and statuses it may send.
    private var assignments = TapAssignments()

    /// `tapID` as planned for `agent` now or within ``TapAssignments/grace`` (its last batches and final
    /// status come after it leaves the plan); `nil` when it is not. The agent is planned afresh
    /// (``planAfresh(_:taps:)``) when the answer is not known here (an agent whose control channel is on
    /// another replica, or a plan not yet made since a restart), or when `refresh`.
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
        try await planAfresh(agent, taps: Set(tapIDs))
        return known()
    }

    /// Which of `recorders` are planned for `agent` now or within ``TapAssignments/grace`` (see
    /// ``assignment(of:to:refresh:)``): the recorders whose statuses it may report. Planned afresh at most
    /// once, when one of them is not known here.
    func recorderAssignments(of recorders: some Collection<String>, to agent: String) async throws -> Set<String> {
        func known() -> Set<String> {
            let at = clock()
            return Set(recorders.filter { assignments.isAssigned(recorder: $0, to: agent, at: at) })
        }
        let found = known()
        if found.count == Set(recorders).count { return found }
        try await planAfresh(agent, taps: [])
        return known()
    }

    // MARK: Upload streams

    /// Each agent's open `SendPackets` streams, ended with the agent's control channel when it is revoked
    /// or enrols again (``close(_:with:)``).
    private var uploads: [String: [UUID: AsyncThrowingStream<Never, any Error>.Continuation]] = [:]

    /// Set by ``closeAll(with:)``: a channel or upload that attaches later (its RPC accepted before the shutdown) is
    /// closed at once with the same error, or it would keep the server up as the ones closed did.
    private var closedForShutdown: RPCError?

    /// Registers an upload stream of `name`; the stream returned ends with the error that closes the agent.
    func attachUpload(_ name: String) -> (id: UUID, closed: AsyncThrowingStream<Never, any Error>) {
        let (closed, continuation) = AsyncThrowingStream.makeStream(of: Never.self, throwing: (any Error).self)
        let id = UUID()
        if let closing = closedForShutdown {
            continuation.finish(throwing: closing)
            return (id, closed)
        }
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
        let now = UInt64(max(0, clock().millisecondsSince1970))
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
        // Every change is queued for the next plan (a burst makes one: ``changed()`` holds one signal).
        let listener = Task { [weak self, feed] in
            for await event in feed { await self?.enqueue(event) }
        }
        defer {
            resyncer.cancel()
            listener.cancel()
        }
        for await _ in signals {
            if Task.isCancelled { break }
            let resend = resyncRequested
            let changes = pending
            // A periodic resync plans from the model; every ``reloadEvery``-th one reads the store again.
            if resend { resyncs += 1 }
            let everything = pendingEverything || (resend && resyncs % Self.reloadEvery == 1)
            (resyncRequested, pending, pendingEverything) = (false, [], false)
            do {
                try await plan(changes: everything ? nil : changes, resend: resend)
            } catch where error is CancellationError || Task.isCancelled {
                break
            } catch {
                // What those changes did is unknown to the model now: the next plan reads everything.
                pendingEverything = true
                logger.error("planning the agents' desired taps failed; retrying at the next change or resync",
                             metadata: ["error": "\(error)"])
            }
        }
        closeAll(with: RPCError(code: .unavailable, message: "the server is shutting down"))
    }

    private var resyncRequested = false
    /// Periodic resyncs so far (the first one reads the store).
    private var resyncs = 0
    /// Every how many periodic resyncs the model is read again from the store, as the safety net under
    /// the change feed (which already carries every committed change, the other replicas' included, and
    /// asks for everything after it lost any). Reading a fleet's every workload each resync was most
    /// of what a large idle fleet cost.
    static let reloadEvery = 8

    /// Queues a change heard on the feed for the next plan.
    private func enqueue(_ event: ChangeFeed.Event) {
        switch event {
        case .change(.everything), .resync: pendingEverything = true
        case .change(let change): pending.insert(change)
        }
        changed()
    }

    private func requestResync() {
        resyncRequested = true
        changed()
    }
}

/// Runs the ``AgentHub``'s planning loop beside the HTTP server, until shutdown.
struct AgentHubService: Service {
    /// How often the hub reads everything again, plans every agent and sends every connected agent its
    /// desired set again: the safety net under incremental planning.
    static let defaultResync: Duration = .seconds(15)

    let hub: AgentHub
    var resync: Duration = AgentHubService.defaultResync

    func run() async throws {
        await cancelWhenGracefulShutdown { [hub, resync] in await hub.run(resync: resync) }
    }
}
