import Foundation
import Hummingbird
import Logging
import TapsterCore

/// The web portal: the owners' self-service page and the network team's console.
///
/// Server-rendered HTML (Mustache templates shipped as resources of this module); every form
/// works without JavaScript, which only refreshes tap counters, the capture list and the flow map. Every action goes through the
/// service whose area the page renders, so policy, validation and audit are the API's own.
struct Portal: Sendable {
    let identity: IdentityService
    let catalog: CatalogService
    let taps: TapService
    let tapCreation: TapCreation
    let fleet: FleetService
    let audit: AuditService
    let flows: FlowService
    /// The triggers page's listing (``TriggerPages``).
    let triggers: TriggerService
    /// The recorders page's listing (``RecorderPages``).
    let recorders: RecorderService
    let captures: CaptureService
    let pages: PageRenderer
    let assets: StaticAssets
    let cookies: PortalCookies
    /// The server's own URL (`--external-url`): single sign-on sends people back to it.
    let externalURL: ExternalURL?
    let logger: Logger

    /// - Parameter servedOverTLS: whether browsers reach the portal over HTTPS (cookies then carry `Secure`).
    init(controlPlane: ControlPlane, servedOverTLS: Bool, logger: Logger) {
        self.identity = controlPlane.identity
        self.catalog = controlPlane.catalog
        self.taps = controlPlane.taps
        self.tapCreation = controlPlane.tapCreation
        self.fleet = controlPlane.fleet
        self.audit = controlPlane.audit
        self.flows = controlPlane.flows
        self.triggers = controlPlane.triggers
        self.recorders = controlPlane.recorders
        self.captures = controlPlane.captures
        self.logger = logger
        self.assets = StaticAssets(logger: logger)
        self.pages = PageRenderer(assets: assets, logger: logger)
        self.cookies = PortalCookies(servedOverTLS: servedOverTLS)
        self.externalURL = controlPlane.broker.settings.externalURL
    }

    /// The single sign-on flow and its provider's logout.
    var singleSignOn: SingleSignOnPages { SingleSignOnPages(portal: self, externalURL: externalURL) }

    /// The services' clock, for the times pages show.
    var now: Date { catalog.now }

    /// Adds the portal's pages, its static files, and HTML error pages for unknown browser paths.
    func register(on router: Router<TapsterRequestContext>) {
        router.add(middleware: PortalErrorPages(portal: self))
        assets.register(on: router)
        let routes = PortalRoutes(portal: self, router: router)
        SessionPages(portal: self).register(routes)
        singleSignOn.register(routes)
        TapPages(portal: self).register(routes)
        LiveTapEndpoint(portal: self).register(routes)
        ConsoleTapPages(portal: self).register(routes)
        routes.register(TargetPages(portal: self).area)
        FilterPages(portal: self).register(routes)
        routes.register(GrantPages(portal: self).area)
        routes.register(TenantPages(portal: self).area)
        routes.register(UserPages(portal: self).area)
        InventoryPages(portal: self).register(routes)
        AuditPages(portal: self).register(routes)
        FlowMapPages(portal: self).register(routes)
        ApprovalPages(portal: self).register(routes)
        TriggerPages(portal: self).register(routes)
        RecorderPages(portal: self).register(routes)
        CapturePages(portal: self).register(routes)
    }
}
