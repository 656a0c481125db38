import Foundation
import Logging
import TapsterCore
import TapsterStore

/// The control plane's operations: every change any API makes goes through here, so that
/// policy, validation and audit are enforced once, whichever API (native, Neutron, portal) asks.
///
/// Each operation takes the acting ``Principal`` first and throws ``TapsterError`` for anything
/// the caller should see.
public struct ControlPlane: Sendable {
    public let store: any Store
    let clock: @Sendable () -> Date
    let filterCompiler: FilterCompiler
    let passwords: PasswordHasher
    /// Serialises tap admissions in this process, so two concurrent requests by one owner cannot both pass the quota check.
    let admissions: AsyncSemaphore
    /// Limits password guessing for every way of logging in (API and portal).
    let loginThrottle: LoginThrottle
    /// Bounds how often refusals anyone can provoke (enrolments, download links) are audited, counting the rest.
    let refusalAudits: RefusalAuditLimiter
    /// Every committed change to taps, filters, targets, workloads and agents, for whoever acts on them.
    public let changes: ChangeFeed
    /// The agents' control channels and what each must run; subscribed to ``changes``.
    public let agentHub: AgentHub
    /// The agent channel's CA and revocation list; `nil` when this server runs no agent channel.
    let agentPKI: AgentPKI?
    /// The latest per-tap counters agents reported, for `/metrics`.
    let tapCounters: TapCounters
    /// Merges agents' packets of `stream` and `store` taps into captures, and hands them out.
    public let captures: CaptureBroker
    let logger: Logger

    /// - Parameters:
    ///   - passwordCost: bcrypt's work factor for new password hashes.
    ///   - agentPKI: the agent channel's CA and revocation list, when the server runs the agent channel.
    ///   - captureSettings: the capture broker's budget and timings, the capture store, the download URL key.
    public init(store: any Store, clock: @escaping @Sendable () -> Date = { Date() }, passwordCost: UInt8 = 11,
                agentPKI: AgentPKI? = nil, captureSettings: CaptureSettings = CaptureSettings(), logger: Logger) {
        self.store = store
        self.clock = clock
        self.filterCompiler = FilterCompiler()
        self.passwords = PasswordHasher(cost: passwordCost)
        self.admissions = AsyncSemaphore(1)
        self.loginThrottle = LoginThrottle(clock: clock)
        self.refusalAudits = RefusalAuditLimiter(clock: clock)
        self.changes = ChangeFeed()
        self.agentHub = AgentHub(store: store, changes: changes, clock: clock, logger: logger)
        self.agentPKI = agentPKI
        self.tapCounters = TapCounters()
        self.captures = CaptureBroker(settings: captureSettings, clock: clock, logger: logger)
        self.logger = logger
    }

    var now: Date { clock() }

    /// Runs `body` in one store transaction and, once it has committed, publishes on ``changes`` what
    /// `changed` says its result changed. Nothing is published when `body` throws: the transaction
    /// rolled back, nothing changed.
    func transaction<T: Sendable>(publishing changed: (T) -> [Change],
                                  _ body: @Sendable (any StoreSession) async throws -> T) async throws -> T {
        let result = try await store.transaction(body)
        changes.publish(changed(result))
        return result
    }

    // MARK: Visibility

    /// The tenants an owner's reads are narrowed to; `nil` for admins and auditors (everything).
    func tenantScope(_ principal: Principal) -> Set<String>? {
        principal.role == .owner ? principal.tenants : nil
    }

    /// Grants addressed to `principal` (directly or through its tenants).
    func grants(addressedTo principal: Principal, in session: any StoreSession) async throws -> [Grant] {
        try await session.list(.grants, tenants: nil).filter { $0.spec.addresses(principal) }
    }

    /// Whether an owner may know of a target or filter: its tenant is theirs, or a grant names it.
    func isVisible(tenant: String?, name: String, kind: ResourceKind, to principal: Principal, grants: [Grant]) -> Bool {
        guard principal.role == .owner else { return true }
        if principal.belongs(to: tenant) { return true }
        return grants.contains { kind == .target ? $0.target == name : $0.filter == name }
    }

    /// A target or filter the principal may see, by id or name; 404 when it does not exist or is hidden.
    func visibleRecord<Spec>(_ p: Principal, _ reference: String, in collection: RecordCollection<Spec>,
                             kind: ResourceKind) async throws -> Record<Spec> {
        let record = try await store.find(reference, in: collection)
        let grants = try await grants(addressedTo: p, in: store)
        let visible = record.map { isVisible($0, in: collection, kind: kind, to: p, grants: grants) } ?? false
        try Policy.require(p, .read, kind, .object(visible: visible), reference: reference)
        guard let record else { throw TapsterError.notFound(kind.rawValue, reference) }
        return record
    }

    /// Every target or filter the principal may see.
    func visibleRecords<Spec>(_ p: Principal, in collection: RecordCollection<Spec>, kind: ResourceKind) async throws -> [Record<Spec>] {
        try Policy.require(p, .read, kind, .collection)
        let grants = try await grants(addressedTo: p, in: store)
        return try await store.list(collection, tenants: nil).filter { isVisible($0, in: collection, kind: kind, to: p, grants: grants) }
    }

    private func isVisible<Spec>(_ record: Record<Spec>, in collection: RecordCollection<Spec>, kind: ResourceKind,
                                 to p: Principal, grants: [Grant]) -> Bool {
        isVisible(tenant: collection.tenant(record.spec), name: collection.name(record.spec) ?? "", kind: kind, to: p, grants: grants)
    }

    /// Finds a record by id or name, or throws 404.
    func existing<Spec>(_ reference: String, in collection: RecordCollection<Spec>, kind: ResourceKind,
                        session: (any StoreSession)? = nil) async throws -> Record<Spec> {
        guard let record = try await (session ?? store).find(reference, in: collection) else {
            throw TapsterError.notFound(kind.rawValue, reference)
        }
        return record
    }

    /// Appends an audit event in `session`.
    func audit(_ session: any StoreSession, _ principal: Principal, _ action: String, _ type: ResourceKind,
               id: String?, name: String?, tenant: String?, details: [String: String] = [:]) async throws {
        _ = try await session.appendAudit(
            AuditEntry(actor: principal.name, action: action, objectType: type.rawValue, objectId: id,
                       objectName: name, tenant: tenant, details: details),
            at: now)
    }

    /// Checks that every named tenant exists.
    func requireTenantsExist(_ names: some Sequence<String>, field: String, session: any StoreSession) async throws {
        for name in names where try await session.find(name, in: .tenants) == nil {
            throw TapsterError.invalid(field, "tenant \"\(name)\" does not exist")
        }
    }
}
