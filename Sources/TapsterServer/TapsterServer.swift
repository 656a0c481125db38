import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TapsterCore
import TapsterPKI
import TapsterStore

/// Assembles and runs the control plane: store, HTTP API, scheduler.
public enum TapsterServer {
    /// Runs `tapster serve` until SIGINT/SIGTERM. Prints the banner (URL, and on first start
    /// the admin's one-time secrets) once the server listens. `alongside` makes more services to run with
    /// the server's (e.g. this host's own agent), given its control plane.
    public static func run(_ configuration: ServerConfiguration, logger: Logger,
                           alongside: @Sendable (ControlPlane) -> [any Service] = { _ in [] }) async throws {
        let database = try DatabaseConfiguration(parsing: configuration.effectiveDatabaseURL)
        // The data directory holds the SQLite database and, whatever the database, the agents' CA and the audit key.
        try DataDirectory.secure(configuration.dataDirectory)
        let store = try await SQLStore.open(database, logger: logger)
        do {
            try await store.migrate()
            try await AuditKeyFile.load(AuditKeyFile.path(dataDirectory: configuration.dataDirectory), into: store)
            try DataDirectory.secure(configuration.dataDirectory)  // the database's files, now that they exist
            let pki = try await AgentPKI.load(directory: configuration.pkiDirectory, store: store)
            let captureSettings = try await CaptureSettings.forServer(configuration, logger: logger)
            let controlPlane = ControlPlane(store: store, agentPKI: pki, captureSettings: captureSettings,
                                            identityConfiguration: configuration.identity, flowRetention: configuration.flowRetention,
                                            approvalTimeout: configuration.approvalTimeout, logger: logger)
            let replica = ReplicaState(identity: try configuration.replicaIdentity, relayed: store.carriesNotifications, servesAgents: true)
            // Subscribed before anything is published, so that the other replicas hear every change.
            let relay: [any Service] = store.carriesNotifications
                ? [ChangeRelay(store: store, feed: controlPlane.changes, replica: replica, logger: logger)] : []
            let revocations = RevocationFollower(store: store, pki: pki, agentHub: controlPlane.agentHub, changes: controlPlane.changes,
                                                 logger: logger)
            let heartbeat = ReplicaHeartbeat(store: store, replica: replica, agentHub: controlPlane.agentHub,
                                             changes: controlPlane.changes, clock: { Date() }, logger: logger)
            try await heartbeat.register()
            // Only the agents this replica held before it restarted (SQLite: one process, every agent).
            try await AgentRelease.release(heldBy: store.carriesNotifications ? replica.identity.name : nil, store: store,
                                           changes: controlPlane.changes)
            let banner = Banner(host: configuration.host, store: database.description)
            // The secrets are printed as soon as they exist, so that a failure to listen cannot lose them.
            if let firstAdmin = try await Bootstrap.run(controlPlane.identity, adminToken: configuration.initialAdminToken) {
                banner.printFirstStart(firstAdmin, port: configuration.port)
            }
            for tap in try await controlPlane.taps.expireDueTaps() {
                logger.info("tap expired while the server was down", metadata: ["tap": "\(tap.id)"])
            }
            let agentChannel = AgentChannel(controlPlane: controlPlane, pki: pki, configuration: configuration.agentChannel, logger: logger) { address in
                banner.printAgentChannel(address: address, fingerprint: pki.authority.fingerprint.description)
                replica.agentChannelListens()
            }
            let app = makeApplication(controlPlane: controlPlane, configuration: configuration, replica: replica, logger: logger,
                                      services: [agentChannel, heartbeat, revocations, HeapTrimmer(logger: logger)] + relay + alongside(controlPlane)) { port in
                banner.printListening(port: port)
            }
            do {
                try await app.runService()
            } catch let error as IOError {
                throw TapsterError(.unavailable, "cannot listen on \(configuration.host):\(configuration.port): \(String(cString: strerror(error.errnoCode)))")
            } catch let error as SocketAddressError {
                throw TapsterError(.unavailable, "cannot listen on \(configuration.host):\(configuration.port): \(error)")
            }
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
    }

    /// The HTTP application with every route, and as services the scheduler, the agent hub and `services`
    /// (e.g. the ``AgentChannel``). `replica` answers `/readyz` and adds its series to `/metrics`.
    public static func makeApplication(controlPlane: ControlPlane, configuration: ServerConfiguration,
                                       replica: ReplicaState = .standalone(), logger: Logger,
                                       services: [any Service] = [],
                                       onRunning: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(controlPlane: controlPlane, replica: replica, logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tapster"),
            services: [ExpiryScheduler(taps: controlPlane.taps, captures: controlPlane.captures, identity: controlPlane.identity,
                                       refusals: controlPlane.refusals, logger: logger), AgentHubService(hub: controlPlane.agentHub),
                       CaptureBrokerService(captures: controlPlane.captures, logger: logger),
                       AgentPresenceService(fleet: controlPlane.fleet, logger: logger),
                       CaptureRetentionSweeper(captures: controlPlane.captures, logger: logger),
                       FlowRetentionSweeper(flows: controlPlane.flows, logger: logger)] + services,
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Every route: the native API, the Neutron API, the portal, documents and metrics, behind the error
    /// and authentication middleware. (The authorization matrix test reads its ``Router/routes``.)
    static func makeRouter(controlPlane: ControlPlane, replica: ReplicaState = .standalone(), logger: Logger) -> Router<TapsterRequestContext> {
        let router = Router(context: TapsterRequestContext.self)
        let routeMethods = RouteMethods()
        router.add(middleware: APIErrorMiddleware(render: ErrorRendering.render, routeMethods: routeMethods))
        router.add(middleware: TokenAuthenticator(identity: controlPlane.identity))
        DocumentRoutes().register(on: router)
        MetricsRoutes(fleet: controlPlane.fleet, broker: controlPlane.broker, replica: replica).register(on: router)
        ReadinessRoutes(store: controlPlane.store, replica: replica).register(on: router)
        let api = router.group("api/v1")
        AccountRoutes(identity: controlPlane.identity, catalog: controlPlane.catalog).register(on: api)
        PolicyRoutes(catalog: controlPlane.catalog).register(on: api)
        TapRoutes(taps: controlPlane.taps, creation: controlPlane.tapCreation).register(on: api)
        ApprovalRoutes(taps: controlPlane.taps).register(on: api)
        CaptureRoutes(captures: controlPlane.captures).register(on: api)
        InventoryRoutes(catalog: controlPlane.catalog, fleet: controlPlane.fleet).register(on: api)
        NamespaceMappingRoutes(catalog: controlPlane.catalog).register(on: api)
        RecorderRoutes(recorders: controlPlane.recorders).register(on: api)
        AgentRoutes(fleet: controlPlane.fleet).register(on: api)
        AuditRoutes(audit: controlPlane.audit).register(on: api)
        FlowRoutes(flows: controlPlane.flows).register(on: api)
        TriggerRoutes(triggers: controlPlane.triggers).register(on: api)
        // Neutron TaaS: before the portal, whose `/` it shares (version discovery for API clients).
        NeutronRoutes(neutron: controlPlane.neutron, externalURL: controlPlane.broker.settings.externalURL).register(on: router)
        // The web portal (no TLS listener yet, so its cookies are not `Secure`).
        Portal(controlPlane: controlPlane, servedOverTLS: false, logger: logger).register(on: router)
        routeMethods.load(router.routes)
        return router
    }
}

/// How errors are written: the native `{"code","message"}` body, or Neutron's envelope under `/v2.0`.
enum ErrorRendering {
    @Sendable static func render(_ request: Request, _ error: TapsterError, _ original: any Error) -> Response {
        if NeutronErrorBody.applies(to: request.uri.path) {
            return NeutronErrorBody.response(for: error, original: original, path: request.uri.path)
        }
        let status = error.httpStatus
        return (try? JSONCoding.response(error, status: status)) ?? Response(status: status)
    }
}
