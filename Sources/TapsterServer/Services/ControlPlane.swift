import Foundation
import Logging
import TapsterCore
import TapsterStore

/// The composition root: builds every service once, each with only what it needs, and hands them out
/// to the routes, the portal, the agent channel and the schedulers. It has no operations of its own —
/// every change goes through one of its services, so policy, validation and audit are enforced once,
/// whichever API (native, Neutron, portal) asks.
///
/// Dependencies run one way: ``TapService`` ← ``CatalogService`` ← ``CaptureService`` ← ``TapCreation``,
/// ``IdentityService``; ``NeutronService`` over the catalog and taps; ``FleetService`` and
/// ``AuditService`` on the shared ``ServiceContext`` alone.
///
/// A class, not a struct: its services are values that hold their own dependencies, so the whole is about
/// 5.4 KB, and every async function or closure that held it by value copied all of it into its frame or
/// context — an agent channel's long-lived tasks kept two such frames each for as long as the agent stayed
/// connected, and each agent message's child task allocated another copy. It is immutable, so sharing it
/// changes nothing else.
public final class ControlPlane: Sendable {
    /// What every service shares: store, clock, change feed, logger.
    public let context: ServiceContext
    /// The agents' control channels and what each must run; subscribed to ``changes``.
    public let agentHub: AgentHub
    /// Merges agents' packets of `stream` and `store` taps into captures, and hands them out.
    public let broker: CaptureBroker

    /// Users, tokens, logins, portal sessions.
    public let identity: IdentityService
    /// Tenants, targets, filters, grants, workloads.
    public let catalog: CatalogService
    /// Tap admission, lifecycle and expiry.
    public let taps: TapService
    /// A tap request made into a tap or a stored capture.
    public let tapCreation: TapCreation
    /// Captures, their readers, quota and downloads.
    public let captures: CaptureService
    /// Agents: join tokens, enrolment, reports, revocation, metrics.
    public let fleet: FleetService
    /// The audit trail's reads and verification.
    public let audit: AuditService
    /// Rate-limited audit of refusals anyone can provoke.
    public let refusals: RefusalAuditor
    /// The Neutron TaaS API's facade.
    public let neutron: NeutronService
    /// Flow records of `flows` taps: agents' reports, listings, the map, observed APIs, retention.
    public let flows: FlowService
    /// Detection engines' webhooks that open captures within an admin's filter.
    public let triggers: TriggerService

    /// Flight recorders and what agents report of them.
    public let recorders: RecorderService

    public var store: any Store { context.store }
    /// Every committed change to taps, filters, targets, workloads and agents, for whoever acts on them.
    public var changes: ChangeFeed { context.changes }

    /// - Parameters:
    ///   - passwordCost: bcrypt's work factor for new password hashes.
    ///   - agentPKI: the agent channel's CA and revocation list, when the server runs the agent channel.
    ///   - captureSettings: the capture broker's budget and timings, the capture store, the download URL key.
    ///   - identityConfiguration: the identity providers trusted besides Tapster's own accounts.
    ///   - approvalTimeout: how long a tap waiting for approval waits before it expires unanswered.
    public init(store: any Store, clock: @escaping @Sendable () -> Date = { Date() }, passwordCost: UInt8 = 11,
                agentPKI: AgentPKI? = nil, captureSettings: CaptureSettings = CaptureSettings(),
                identityConfiguration: IdentityConfiguration = .localOnly, flowRetention: TimeInterval = FlowService.defaultRetention,
                approvalTimeout: TapDuration = ApprovalPolicy.defaultTimeout, logger: Logger) {
        let context = ServiceContext(store: store, clock: clock, changes: ChangeFeed(), logger: logger)
        self.context = context
        self.agentHub = AgentHub(store: store, changes: context.changes, clock: clock, logger: logger)
        self.broker = CaptureBroker(settings: captureSettings, clock: clock, logger: logger)
        let filterCompiler = FilterCompiler()
        let refusals = RefusalAuditor(context: context, limiter: RefusalAuditLimiter(clock: clock))
        let taps = TapService(context: context, admissions: AsyncSemaphore(1), approvalTimeout: approvalTimeout)
        let catalog = CatalogService(context: context, filterCompiler: filterCompiler, taps: taps)
        let captures = CaptureService(context: context, catalog: catalog, taps: taps, broker: broker, filterCompiler: filterCompiler,
                                      refusals: refusals)
        self.refusals = refusals
        self.taps = taps
        self.catalog = catalog
        self.captures = captures
        self.tapCreation = TapCreation(context: context, catalog: catalog, taps: taps, captures: captures)
        self.identity = IdentityService(context: context, passwords: PasswordHasher(cost: passwordCost), loginThrottle: LoginThrottle(clock: clock),
                                        taps: taps, captures: captures, catalog: catalog,
                                        providers: IdentityProviders.make(identityConfiguration, clock: clock, logger: logger))
        self.fleet = FleetService(context: context, agentHub: agentHub, agentPKI: agentPKI, tapCounters: TapCounters(), refusals: refusals)
        self.recorders = RecorderService(context: context, statuses: fleet.recorderStatuses)
        self.audit = AuditService(context: context)
        self.neutron = NeutronService(context: context, catalog: catalog, taps: taps, filterCompiler: filterCompiler)
        self.flows = FlowService(context: context, retention: flowRetention)
        self.triggers = TriggerService(context: context, catalog: catalog, taps: taps, captures: captures, refusals: refusals,
                                       externalURL: captureSettings.externalURL)
    }
}
