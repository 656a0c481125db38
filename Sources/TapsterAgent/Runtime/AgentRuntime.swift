#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import Synchronization
import TapsterPKI
import TapsterWire

/// `tapster agent`: enrols once, then keeps a control channel to one of the server's replicas — reconnecting
/// with backoff, to another replica when there is one, whenever it drops — while the inventory watcher and
/// the reconciler run. Captures keep running, and stop at their deadlines by themselves, while the server is
/// away; the next replica's desired set names the same taps, so the reconciler leaves them running. On
/// shutdown every capture stops.
public struct AgentRuntime: Service {
    public let settings: AgentSettings
    public let logger: Logger

    public init(settings: AgentSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        // Before anything of the agent's starts: a second process of this name would sweep the first one's mirrors.
        try await run(holding: await AgentInstanceLock(agent: settings.name))
    }

    /// Runs the agent while `instance`, this agent's lock (taken by the caller before anything else it does for
    /// the agent), is held.
    public func run(holding instance: AgentInstanceLock) async throws {
        defer { withExtendedLifetime(instance) {} }
        if let squatter = instance.squatter {
            logger.warning("the agent's instance lock is held by a process that is not an agent: starting without it",
                           metadata: ["lock": "@\(AgentInstanceLock.abstractName(of: settings.name))", "holder": "\(squatter)"])
        }
        let configuration = try settings.configurationPath.map { try AgentConfiguration.load(path: $0) } ?? AgentConfiguration()
        try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var keyStore = try AgentKeyStore.loadOrCreate(in: settings.dataDirectory, agentName: settings.name)
        let rotation = ServerRotation(servers: settings.servers)
        if keyStore.enrolled == nil {
            try await Enrolment.enrol(settings: settings, rotation: rotation, keyStore: &keyStore, logger: logger)
        }
        guard let enrolled = keyStore.enrolled else {
            throw AgentError.joinTokenRequired(dataDirectory: settings.dataDirectory.path)
        }
        let connector = AgentConnector(rotation: rotation, keyStore: keyStore, enrolled: enrolled)
        let board = InventoryBoard()
        // What a killed run left in the kernel goes before any tap is applied (in workload namespaces once
        // the first scan has named them).
        let mirrorOwner = KernelMirrorOwner(agent: settings.name)
        KernelMirrorSweep.sweepHost(owner: mirrorOwner, logger: logger)
        let reconciler = Reconciler(hostName: settings.name, tunnelAddress: settings.tunnelAddress, connector: connector,
                                    inventory: board, datapath: settings.datapath,
                                    kernelPortDelivery: settings.kernelPortDelivery, logger: logger)
        let platforms = try ConfiguredPlatforms.platforms(settings: settings, configuration: configuration)
        for platform in platforms { logger.info("asking \(platform.description) for its workloads") }
        let scanner = InventoryScanner(configuration: configuration, platforms: PlatformAnswers(platforms: platforms, logger: logger))
        // With container runtimes, what changes most (pods, containers) is noticed by polling them each interval,
        // which rescans at once; the full rescan (every process and namespace) then runs every other interval.
        let watcher = platforms.isEmpty
            ? InventoryWatcher(scanner: scanner, interval: settings.inventoryInterval)
            : InventoryWatcher(scanner: scanner, interval: settings.inventoryInterval * 2, platformPollInterval: settings.inventoryInterval)
        // When this run may mirror in the kernel, the control channel opens once the workload namespaces are swept (a
        // sweep running beside the first taps would take their filters: they carry this run's marks too) — or after
        // ``sweepWait`` when the first scan takes longer, so a scan that keeps failing cannot keep the agent away; the
        // late sweep is then skipped (``StartupSweepGate``).
        let (swept, sweepDone) = AsyncStream<Never>.makeStream()
        let gate = StartupSweepGate()
        let waitsForSweep = settings.datapath == .kernel || settings.kernelPortDelivery
        // On SIGTERM/SIGINT both tasks are cancelled: the watcher's stream ends, the channel closes.
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    defer { sweepDone.finish() }
                    var first = true
                    for await inventory in watcher.updates() {
                        let wire = inventory.wireInventory
                        if first {
                            first = false
                            if gate.beginSweep() {
                                await KernelMirrorSweep.sweepWorkloads(of: wire, owner: mirrorOwner, logger: logger)
                                gate.endSweep()
                            } else {
                                // Taps were taken before this first scan ended: a sweep now would remove their mirrors.
                                logger.warning("the workload namespaces are not swept this run (the control channel opened first); what an earlier run left there goes at the next start")
                            }
                            sweepDone.finish()
                        }
                        await board.publish(wire)
                    }
                }
                group.addTask {
                    if waitsForSweep, !(await Self.finished(swept, within: Self.sweepWait)) {
                        if gate.skipUnlessBegun() {
                            logger.warning("connecting before the first inventory scan swept the workload namespaces",
                                           metadata: ["waited": "\(Self.sweepWait)"])
                        } else {
                            // Begun meanwhile: it ends before any tap is taken.
                            await gate.waitForSweep()
                        }
                    }
                    await keepConnected(connector: connector, reconciler: reconciler, board: board)
                }
            }
        }
        logger.info("shutting down: stopping every capture")
        await reconciler.stopAll()
    }

    /// How long the control channel waits for the start-up sweep of workload namespaces (kernel datapath).
    static let sweepWait: Duration = .seconds(30)

    /// Whether `stream` finished within `timeout`.
    private static func finished(_ stream: AsyncStream<Never>, within timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in stream {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Runs the control channel until cancelled, reconnecting with backoff — each time to the rotation's
    /// next replica, so a dead one is not tried again while others remain.
    private func keepConnected(connector: AgentConnector, reconciler: Reconciler, board: InventoryBoard) async {
        var backoff = Backoff()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let established = Atomic<Bool>(false)
            let server = connector.rotation.next()
            let channel = ControlChannel(settings: settings, server: server, connector: connector, reconciler: reconciler,
                                         inventory: board, logger: logger,
                                         onEstablished: { established.store(true, ordering: .relaxed) })
            do {
                try await cancelWhenGracefulShutdown { try await channel.run() }
                logger.warning("the server closed the control channel", metadata: ["server": "\(server)"])
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.warning("control channel to \(server) failed: \(error)")
            }
            if established.load(ordering: .relaxed) { backoff.reset() }
            try? await Task.sleep(for: backoff.nextDelay())
        }
    }
}
