import Foundation
import TapsterCore

/// The collections of admin-defined records the store keeps, each a ``Record`` of one spec type.
///
/// Names are unique within a collection (except workloads, unique per host); every record
/// is found by id, and by name where it has one.
public struct RecordCollection<Spec: Codable & Sendable & Equatable>: Sendable {
    /// The SQL table.
    public let table: String
    /// The name of a record, for lookup and uniqueness (`nil` for unnamed records such as grants).
    public let name: @Sendable (Spec) -> String?
    /// The tenant a record belongs to, kept in its own column for scoping.
    public let tenant: @Sendable (Spec) -> String?

    public init(table: String, name: @escaping @Sendable (Spec) -> String?, tenant: @escaping @Sendable (Spec) -> String?) {
        self.table = table
        self.name = name
        self.tenant = tenant
    }
}

extension RecordCollection where Spec == TenantSpec {
    public static let tenants = RecordCollection(table: "tenants", name: { $0.name }, tenant: { $0.name })
}

extension RecordCollection where Spec == TargetSpec {
    public static let targets = RecordCollection(table: "targets", name: { $0.name }, tenant: { $0.tenant })
}

extension RecordCollection where Spec == FilterSpec {
    public static let filters = RecordCollection(table: "filters", name: { $0.name }, tenant: { $0.tenant })
}

extension RecordCollection where Spec == GrantSpec {
    public static let grants = RecordCollection(table: "grants", name: { _ in nil }, tenant: { $0.tenant })
}

extension RecordCollection where Spec == NamespaceMappingSpec {
    /// Named by their pattern (unique), scoped by the tenant they give namespaces to.
    public static let namespaceMappings = RecordCollection(table: "namespace_mappings", name: { $0.pattern }, tenant: { $0.tenant })
}

extension RecordCollection where Spec == WorkloadSpec {
    /// Workload names are unique per host: the stored name is `host/name`.
    public static let workloads = RecordCollection(table: "workloads", name: { "\($0.host)/\($0.name)" }, tenant: { $0.tenant })
}

extension RecordCollection where Spec == RecorderSpec {
    /// Flight recorders: named, of no tenant (an admin's, over any tenant's workloads).
    public static let recorders = RecordCollection(table: "recorders", name: { $0.name }, tenant: { _ in nil })
}

/// Which audit events to read, newest filter first; every field narrows the result.
public struct AuditQuery: Sendable, Equatable {
    public var since: Date?
    public var until: Date?
    public var actor: String?
    /// An action, or a prefix ending in `.` (`tap.` for every tap event).
    public var action: String?
    public var objectId: String?
    public var objectType: String?
    /// Only events of these tenants (for owners); `nil` for all.
    public var tenants: Set<String>?
    /// Only events after this sequence number (for following the log as it grows).
    public var afterSequence: Int64?
    /// Only events before this sequence number (for paging back through the log, newest first).
    public var beforeSequence: Int64?
    /// Newest first (the `limit` newest events), or oldest first.
    public var newestFirst: Bool
    public var limit: Int?

    public init(since: Date? = nil, until: Date? = nil, actor: String? = nil, action: String? = nil, objectId: String? = nil,
                objectType: String? = nil, tenants: Set<String>? = nil, afterSequence: Int64? = nil, beforeSequence: Int64? = nil,
                newestFirst: Bool = false, limit: Int? = nil) {
        self.since = since
        self.until = until
        self.actor = actor
        self.action = action
        self.objectId = objectId
        self.objectType = objectType
        self.tenants = tenants
        self.afterSequence = afterSequence
        self.beforeSequence = beforeSequence
        self.newestFirst = newestFirst
        self.limit = limit
    }
}

/// Which taps to list.
public struct TapQuery: Sendable, Equatable {
    /// Only taps of these tenants; `nil` for all.
    public var tenants: Set<String>?
    /// Also include taps owned by this user whatever their tenant.
    public var ownerID: String?
    public var states: Set<TapState>?
    public var filter: String?
    public var target: String?

    public init(tenants: Set<String>? = nil, ownerID: String? = nil, states: Set<TapState>? = nil, filter: String? = nil, target: String? = nil) {
        self.tenants = tenants
        self.ownerID = ownerID
        self.states = states
        self.filter = filter
        self.target = target
    }
}

/// Which captures to list.
public struct CaptureQuery: Sendable, Equatable {
    /// Only captures of these tenants; `nil` for all.
    public var tenants: Set<String>?
    /// Also include captures owned by this user whatever their tenant.
    public var ownerID: String?
    public var states: Set<Capture.State>?
    /// Only captures run by the replica of this name, and those that name none (recorded before replicas
    /// were named); `nil` for every replica's.
    public var replica: String?

    public init(tenants: Set<String>? = nil, ownerID: String? = nil, states: Set<Capture.State>? = nil, replica: String? = nil) {
        self.tenants = tenants
        self.ownerID = ownerID
        self.states = states
        self.replica = replica
    }
}

/// A user together with its credentials, as authentication needs it.
public struct StoredCredentials: Sendable, Equatable {
    public var user: User
    /// bcrypt hash of the password, if the user has one.
    public var passwordHash: String?
}

/// Every read and write the control plane makes. Implemented once over SQL (``SQLStore``)
/// for SQLite and PostgreSQL. Inside ``Store/transaction(_:)`` the same operations run on
/// one connection, atomically.
///
/// Errors: writes that break a uniqueness rule throw ``TapsterError`` `already_exists`;
/// anything else the database reports is thrown as ``StoreError``.
public protocol StoreSession: TriggerStoreSession {
    // MARK: Records (tenants, targets, filters, grants, workloads)

    func insert<Spec>(_ record: Record<Spec>, into collection: RecordCollection<Spec>) async throws
    /// Replaces the record with the same id; returns false when there is none.
    @discardableResult
    func update<Spec>(_ record: Record<Spec>, in collection: RecordCollection<Spec>) async throws -> Bool
    /// Deletes by id; returns false when there was none.
    @discardableResult
    func delete<Spec>(id: String, from collection: RecordCollection<Spec>) async throws -> Bool
    /// Finds by id, or by name when `reference` is not an id.
    func find<Spec>(_ reference: String, in collection: RecordCollection<Spec>) async throws -> Record<Spec>?
    /// Every record, ordered by name then id; narrowed to these tenants when given
    /// (records with no tenant are then left out).
    func list<Spec>(_ collection: RecordCollection<Spec>, tenants: Set<String>?) async throws -> [Record<Spec>]
    /// The workloads on `host` (an agent's inventory), ordered by name then id: without reading the
    /// other hosts' (an agent's report must not cost the whole fleet's workloads).
    func listWorkloads(onHost host: String) async throws -> [Workload]
    /// Takes the lock of the rules that decide workloads' tenants until the transaction ends: `exclusive` to
    /// change them (a namespace mapping, then every pod it moves), shared to apply them (an inventory report),
    /// so that no pod is written with the rules of before a change that has already re-decided the stored ones.
    /// (PostgreSQL advisory locks; SQLite's transactions already take turns.)
    func lockTenancyRules(exclusive: Bool) async throws

    // MARK: Users and credentials

    func insertUser(_ user: User, passwordHash: String?) async throws
    @discardableResult
    func updateUser(_ user: User) async throws -> Bool
    @discardableResult
    func deleteUser(id: String) async throws -> Bool
    /// Finds by id or name.
    func findUser(_ reference: String) async throws -> User?
    /// The user signed in through an identity provider as ``ExternalIdentity/key``.
    func findUser(externalKey: String) async throws -> User?
    /// The user with id `id`, its row locked until the transaction ends (PostgreSQL `FOR UPDATE`), so that a
    /// decision taken on it cannot race a change of the user.
    func lockUser(id: String) async throws -> User?
    func listUsers() async throws -> [User]
    func credentials(userName: String) async throws -> StoredCredentials?
    func setPassword(userID: String, hash: String, mustChange: Bool) async throws

    // MARK: API tokens (stored as SHA-256 of the secret)

    func insertToken(_ token: APIToken, secretHash: String) async throws
    func listTokens(userID: String) async throws -> [APIToken]
    @discardableResult
    func deleteToken(id: String, userID: String) async throws -> Bool
    /// Revokes every token of the user but `keeping` (when given); returns how many it revoked.
    @discardableResult
    func deleteTokens(userID: String, keeping: String?) async throws -> Int
    /// Deletes every token (portal sessions included) whose expiry is at or before `time`; returns how many.
    @discardableResult
    func purgeExpiredTokens(at time: Date) async throws -> Int
    /// The token and its user for a secret's hash; `nil` when unknown.
    func findToken(secretHash: String) async throws -> (token: APIToken, user: User)?
    func touchToken(id: String, at: Date) async throws

    // MARK: Taps

    func insertTap(_ tap: Tap) async throws
    func findTap(id: String) async throws -> Tap?
    func listTaps(_ query: TapQuery) async throws -> [Tap]
    /// Writes `tap` only if the stored tap is still in `expected` state (compare-and-set);
    /// returns whether it was written. This is how two replicas never both expire a tap.
    func updateTap(_ tap: Tap, ifStateIs expected: TapState) async throws -> Bool
    /// Records how many workloads tap `tapID` matched at its start (counted after its commit); a later
    /// ``updateTap(_:ifStateIs:)`` keeps it.
    func recordMatchedWorkloads(_ count: Int, tapID: String) async throws
    /// Live (pending or active) taps whose deadline is at or before `now`.
    func dueTaps(at now: Date) async throws -> [Tap]
    /// The earliest deadline among live taps.
    func nextDeadline() async throws -> Date?
    /// How many live taps `owner` has.
    func liveTapCount(ownerID: String) async throws -> Int

    /// Per-agent status of a tap (written by the agent hub).
    func upsertTapAgentStatus(tapID: String, _ status: TapAgentStatus) async throws
    func tapAgentStatuses(tapID: String) async throws -> [TapAgentStatus]

    // MARK: Agents

    func upsertAgent(_ agent: Agent) async throws
    func findAgent(_ reference: String) async throws -> Agent?
    func listAgents() async throws -> [Agent]
    /// The agent named `name`, locked until the transaction ends: read it with this inside
    /// ``Store/transaction(_:)`` before writing it back, so concurrent changes never undo each other.
    func lockAgent(named name: String) async throws -> Agent?
    /// Deletes by id; returns false when there was none.
    @discardableResult
    func deleteAgent(id: String) async throws -> Bool
    /// Records which replica holds agent `name`'s control channel (`nil`: none).
    func setAgentReplica(named name: String, replica: String?) async throws
    /// The replica that last held agent `name`'s control channel.
    func agentReplica(named name: String) async throws -> String?

    // MARK: Agent enrolment

    /// Stores a join token; only the hash of its secret is kept.
    func insertAgentJoinToken(_ token: AgentJoinToken, secretHash: String) async throws
    /// Every join token, oldest first (without secrets).
    func listAgentJoinTokens() async throws -> [AgentJoinToken]
    func findAgentJoinToken(id: String) async throws -> (token: AgentJoinToken, secretHash: String)?
    /// Marks a join token used by `agent`, only if it is unused and unexpired at `time`; returns
    /// whether it did (so a token is used once, even by agents enrolling at the same moment).
    func redeemAgentJoinToken(id: String, by agent: String, at time: Date) async throws -> Bool
    /// Records a revoked agent certificate's serial number (idempotent).
    func insertRevokedSerial(_ serial: String, agent: String, at time: Date) async throws
    /// Every revoked serial number, for the agent channel's TLS.
    func revokedSerials() async throws -> [String]

    // MARK: Captures

    func insertCapture(_ capture: Capture) async throws
    func findCapture(id: String) async throws -> Capture?
    /// Newest first, scoped like ``listTaps(_:)``.
    func listCaptures(_ query: CaptureQuery) async throws -> [Capture]
    /// Replaces the stored capture, only if its state is still `expected` when given (compare-and-set);
    /// returns whether it was written.
    @discardableResult
    func updateCapture(_ capture: Capture, ifStateIs expected: Capture.State?) async throws -> Bool
    /// Captures with a stored object whose retention ended at or before `now`, oldest expiry first.
    func expiredCaptures(at now: Date) async throws -> [Capture]
    /// The earliest expiry among ended captures (those retention will delete).
    func nextCaptureExpiry() async throws -> Date?

    // MARK: Capture readers (users an admin entitled to read a capture's packets, by user id)

    /// Entitles the user `userID` to read the packets of `captureID`; returns false when it already was.
    @discardableResult
    func insertCaptureReader(captureID: String, userID: String, grantedBy: String, at time: Date) async throws -> Bool
    /// Ends that entitlement; returns false when there was none.
    @discardableResult
    func deleteCaptureReader(captureID: String, userID: String) async throws -> Bool
    /// The ids of the captures the user `userID` is entitled to read.
    func readerCaptureIDs(userID: String) async throws -> [String]

    // MARK: Audit

    /// Appends to the hash chain: takes the head, seals the entry after it, moves the head.
    /// Serialised across connections (and replicas on PostgreSQL).
    func appendAudit(_ entry: AuditEntry, at time: Date) async throws -> AuditEvent
    /// Events matching the query in sequence order (oldest first, or newest first when the query says so), at most `limit`.
    func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent]
    /// Verifies the whole chain, including the head recorded apart from the events.
    func verifyAudit() async throws -> AuditVerification

    // MARK: Settings

    /// Small server-wide values (e.g. that the first admin was created).
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, _ value: String) async throws
}

/// A store: a ``StoreSession`` that can also run a group of operations in one transaction, and keeps flows.
public protocol Store: StoreSession, FlowStore {
    /// Creates or upgrades the schema. Idempotent.
    func migrate() async throws
    /// Runs `body` in one transaction on one connection; commits when it returns, rolls back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any StoreSession) async throws -> T) async throws -> T
    /// Closes connections.
    func shutdown() async throws
    /// Throws unless the database answers (for readiness probes).
    func ping() async throws
}

/// A database failure, with the operation that failed.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var underlying: String

    public init(operation: String, underlying: String) {
        self.operation = operation
        self.underlying = underlying
    }

    public var description: String { "store: \(operation) failed: \(underlying)" }
}
