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
            let controlPlane = ControlPlane(store: store, agentPKI: pki, captureSettings: captureSettings, logger: logger)
            try await controlPlane.markAgentsDisconnected()
            let banner = Banner(host: configuration.host, store: database.description)
            // The secrets are printed as soon as they exist, so that a failure to listen cannot lose them.
            if let firstAdmin = try await Bootstrap.run(controlPlane, adminToken: configuration.initialAdminToken) {
                banner.printFirstStart(firstAdmin, port: configuration.port)
            }
            for tap in try await controlPlane.expireDueTaps() {
                logger.info("tap expired while the server was down", metadata: ["tap": "\(tap.id)"])
            }
            let agentChannel = AgentChannel(controlPlane: controlPlane, pki: pki, configuration: configuration.agentChannel, logger: logger) { address in
                banner.printAgentChannel(address: address, fingerprint: pki.authority.fingerprint.description)
            }
            let app = makeApplication(controlPlane: controlPlane, configuration: configuration, logger: logger,
                                      services: [agentChannel] + alongside(controlPlane)) { port in
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
    /// (e.g. the ``AgentChannel``).
    public static func makeApplication(controlPlane: ControlPlane, configuration: ServerConfiguration, logger: Logger,
                                       services: [any Service] = [],
                                       onRunning: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(controlPlane: controlPlane, logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tapster"),
            services: [ExpiryScheduler(controlPlane: controlPlane, logger: logger), AgentHubService(hub: controlPlane.agentHub),
                       CaptureService(controlPlane: controlPlane, logger: logger),
                       CaptureRetentionSweeper(controlPlane: controlPlane, logger: logger)] + services,
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Every route: the native API, the Neutron API, the portal, documents and metrics, behind the error
    /// and authentication middleware. (The authorization matrix test reads its ``Router/routes``.)
    static func makeRouter(controlPlane: ControlPlane, logger: Logger) -> Router<TapsterRequestContext> {
        let router = Router(context: TapsterRequestContext.self)
        let routeMethods = RouteMethods()
        router.add(middleware: APIErrorMiddleware(render: ErrorRendering.render, routeMethods: routeMethods))
        router.add(middleware: TokenAuthenticator(controlPlane: controlPlane))
        DocumentRoutes().register(on: router)
        MetricsRoutes(controlPlane: controlPlane).register(on: router)
        let api = router.group("api/v1")
        AccountRoutes(controlPlane: controlPlane).register(on: api)
        PolicyRoutes(controlPlane: controlPlane).register(on: api)
        TapRoutes(controlPlane: controlPlane).register(on: api)
        CaptureRoutes(controlPlane: controlPlane).register(on: api)
        InventoryRoutes(controlPlane: controlPlane).register(on: api)
        AgentRoutes(controlPlane: controlPlane).register(on: api)
        AuditRoutes(controlPlane: controlPlane).register(on: api)
        // Neutron TaaS: before the portal, whose `/` it shares (version discovery for API clients).
        NeutronRoutes(controlPlane: controlPlane).register(on: router)
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
