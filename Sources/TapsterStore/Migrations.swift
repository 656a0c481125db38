import Foundation
import SQLKit
import TapsterCore

/// One step of the schema, applied once and recorded in `schema_migrations`.
struct Migration: Sendable {
    let version: Int64
    let name: String
    /// The statements on SQLite, and on PostgreSQL unless ``postgresStatements`` says otherwise.
    let statements: [SQLQueryString]
    /// PostgreSQL's own text, for the rare step the two cannot share (an index in byte order).
    var postgresStatements: [SQLQueryString]? = nil

    func statements(for dialect: Dialect) -> [SQLQueryString] {
        dialect == .postgres ? postgresStatements ?? statements : statements
    }
}

/// The schema, as the list of its migrations, in order. Never edit a released migration: append one.
///
/// Times are BIGINT milliseconds since 1970; objects are TEXT JSON in `body`; the other columns
/// are what is searched, scoped, sorted or kept unique. One text serves SQLite and PostgreSQL.
enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "initial schema", statements: initialSchema),
        Migration(version: 2, name: "agent enrolment", statements: agentEnrolment),
        Migration(version: 3, name: "captures", statements: captures),
        Migration(version: 4, name: "owners by user id", statements: ownersByID),
        Migration(version: 5, name: "token scope", statements: tokenScope),
        Migration(version: 6, name: "join tokens name their host", statements: joinTokenHosts),
        Migration(version: 7, name: "capture readers", statements: captureReaders),
        Migration(version: 8, name: "replicas", statements: replicas),
        Migration(version: 9, name: "capture replicas", statements: captureReplicas),
        Migration(version: 10, name: "namespace mappings", statements: namespaceMappings),
        Migration(version: 11, name: "tap match counts", statements: tapMatchCounts),
        Migration(version: 12, name: "workloads by host", statements: [], postgresStatements: workloadNamesInByteOrder),
        Migration(version: 13, name: "users of identity providers", statements: externalIdentities),
        Migration(version: 14, name: "flows", statements: flows),
        Migration(version: 15, name: "tap approvals", statements: tapApprovals),
        Migration(version: 16, name: "recorders", statements: recordTable("recorders")),
        Migration(version: 17, name: "triggers", statements: triggers),
    ]

    /// Applies the migrations not yet applied, all in one transaction. On PostgreSQL an advisory
    /// lock makes replicas that start together take turns; SQLite's `BEGIN IMMEDIATE` does the same.
    static func migrate(_ session: SQLSession, at now: Date) async throws {
        try await session.atomically { session in
            try await session.perform("migrate") {
                if session.dialect == .postgres {
                    try await session.execute("SELECT pg_advisory_xact_lock(\(literal: advisoryLockKey))")
                }
                try await session.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)
                    """)
                let applied = Set(try await session.rows("SELECT version FROM schema_migrations").map { try $0.integer("version") })
                for migration in all where !applied.contains(migration.version) {
                    for statement in migration.statements(for: session.dialect) {
                        try await session.execute(statement)
                    }
                    try await session.execute("""
                        INSERT INTO schema_migrations (version, name, applied_at_ms)
                        VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now.millisecondsSince1970))
                        """)
                }
            }
        }
    }

    /// The versions recorded in `schema_migrations`, in order.
    static func appliedVersions(_ session: SQLSession) async throws -> [Int64] {
        try await session.perform("read schema version") {
            try await session.rows("SELECT version FROM schema_migrations ORDER BY version").map { try $0.integer("version") }
        }
    }

    /// Any fixed number, the same for every replica: "tapster" in ASCII.
    static let advisoryLockKey: Int64 = 0x74_61_70_73_74_65_72

    private static func recordTable(_ table: String) -> [SQLQueryString] {
        [
            """
            CREATE TABLE \(ident: table) (
                id TEXT PRIMARY KEY,
                name TEXT,
                tenant TEXT,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                body TEXT NOT NULL)
            """,
            "CREATE UNIQUE INDEX \(ident: table + "_name") ON \(ident: table) (name)",
            "CREATE INDEX \(ident: table + "_tenant") ON \(ident: table) (tenant)",
        ]
    }

    private static let initialSchema: [SQLQueryString] =
        ["tenants", "targets", "filters", "grants", "workloads"].flatMap(recordTable) + [
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                password_hash TEXT,
                body TEXT NOT NULL)
            """,
            "CREATE UNIQUE INDEX users_name ON users (name)",
            """
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                created_at_ms BIGINT NOT NULL,
                expires_at_ms BIGINT,
                last_used_at_ms BIGINT)
            """,
            "CREATE UNIQUE INDEX api_tokens_secret_hash ON api_tokens (secret_hash)",
            "CREATE INDEX api_tokens_user_id ON api_tokens (user_id)",
            """
            CREATE TABLE taps (
                id TEXT PRIMARY KEY,
                tenant TEXT,
                owner TEXT NOT NULL,
                state TEXT NOT NULL,
                filter_name TEXT NOT NULL,
                target_name TEXT NOT NULL,
                created_at_ms BIGINT NOT NULL,
                deadline_ms BIGINT NOT NULL,
                body TEXT NOT NULL)
            """,
            "CREATE INDEX taps_tenant ON taps (tenant)",
            "CREATE INDEX taps_owner ON taps (owner)",
            "CREATE INDEX taps_state ON taps (state)",
            "CREATE INDEX taps_deadline_ms ON taps (deadline_ms)",
            "CREATE INDEX taps_created_at_ms ON taps (created_at_ms)",
            """
            CREATE TABLE tap_agent_status (
                tap_id TEXT NOT NULL,
                agent TEXT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (tap_id, agent))
            """,
            """
            CREATE TABLE agents (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at_ms BIGINT NOT NULL,
                last_seen_at_ms BIGINT,
                body TEXT NOT NULL)
            """,
            "CREATE UNIQUE INDEX agents_name ON agents (name)",
            "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE audit_events (
                sequence BIGINT PRIMARY KEY,
                time_ms BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                object_type TEXT NOT NULL,
                object_id TEXT,
                object_name TEXT,
                tenant TEXT,
                details TEXT NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL)
            """,
            "CREATE INDEX audit_events_time_ms ON audit_events (time_ms)",
            "CREATE INDEX audit_events_object_id ON audit_events (object_id)",
            "CREATE INDEX audit_events_tenant ON audit_events (tenant)",
            """
            CREATE TABLE audit_head (
                id BIGINT PRIMARY KEY CHECK (id = 1),
                sequence BIGINT NOT NULL,
                hash TEXT NOT NULL)
            """,
            "INSERT INTO audit_head (id, sequence, hash) VALUES (1, 0, \(literal: AuditChain.genesisHash))",
        ]

    /// Join tokens (single use, expiring; only the secret's hash is kept) and the serial numbers of
    /// revoked agent certificates, which the agent channel's TLS refuses.
    private static let agentEnrolment: [SQLQueryString] = [
        """
        CREATE TABLE agent_join_tokens (
            id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at_ms BIGINT NOT NULL,
            expires_at_ms BIGINT NOT NULL,
            used_at_ms BIGINT,
            used_by TEXT)
        """,
        "CREATE INDEX agent_join_tokens_created_at_ms ON agent_join_tokens (created_at_ms)",
        """
        CREATE TABLE agent_revocations (
            serial TEXT PRIMARY KEY,
            agent TEXT NOT NULL,
            revoked_at_ms BIGINT NOT NULL)
        """,
    ]

    /// Captures: the record of each `stream`/`store` tap's pcapng (id = the tap's), with the columns that
    /// scope listings and find what retention must delete.
    private static let captures: [SQLQueryString] = [
        """
        CREATE TABLE captures (
            id TEXT PRIMARY KEY,
            tenant TEXT,
            owner TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at_ms BIGINT NOT NULL,
            expires_at_ms BIGINT,
            body TEXT NOT NULL)
        """,
        "CREATE INDEX captures_tenant ON captures (tenant)",
        "CREATE INDEX captures_owner ON captures (owner)",
        "CREATE INDEX captures_state ON captures (state)",
        "CREATE INDEX captures_expires_at_ms ON captures (expires_at_ms)",
    ]

    /// Taps and captures belong to their owner's user id, not name: a new user who takes an old name
    /// inherits nothing. Existing rows get the id of the user of that name; a name no user has any more
    /// leaves the row without an owner (only admins act on it).
    private static let ownersByID: [SQLQueryString] = [
        "ALTER TABLE taps ADD COLUMN owner_id TEXT",
        "UPDATE taps SET owner_id = (SELECT users.id FROM users WHERE users.name = taps.owner)",
        "CREATE INDEX taps_owner_id ON taps (owner_id)",
        "ALTER TABLE captures ADD COLUMN owner_id TEXT",
        "UPDATE captures SET owner_id = (SELECT users.id FROM users WHERE users.name = captures.owner)",
        "CREATE INDEX captures_owner_id ON captures (owner_id)",
    ]

    /// A token's scope: `password_change` for a session opened with a one-time password (it may only
    /// change that password); NULL for a token with its user's full rights, as every earlier token has.
    private static let tokenScope: [SQLQueryString] = [
        "ALTER TABLE api_tokens ADD COLUMN scope TEXT",
    ]

    /// A join token names the agent it enrols, and whether it enrols a new agent (`enrol`) or an
    /// existing one again (`reenrol`). Earlier tokens have neither and are refused.
    private static let joinTokenHosts: [SQLQueryString] = [
        "ALTER TABLE agent_join_tokens ADD COLUMN agent TEXT",
        "ALTER TABLE agent_join_tokens ADD COLUMN purpose TEXT",
    ]

    /// Users an admin entitled to read a capture's packets, by user id: deleting the user (or the
    /// capture's row) deletes the entitlement with it.
    private static let captureReaders: [SQLQueryString] = [
        """
        CREATE TABLE capture_readers (
            capture_id TEXT NOT NULL REFERENCES captures (id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            granted_by TEXT NOT NULL,
            granted_at_ms BIGINT NOT NULL,
            PRIMARY KEY (capture_id, user_id))
        """,
        "CREATE INDEX capture_readers_user_id ON capture_readers (user_id)",
    ]

    /// The replicas sharing the database (their heartbeats tell which are alive), and which replica holds
    /// each agent's control channel (so a replica that starts, or finds another dead, touches only its own).
    private static let replicas: [SQLQueryString] = [
        """
        CREATE TABLE replicas (
            name TEXT PRIMARY KEY,
            agent_address TEXT NOT NULL,
            started_at_ms BIGINT NOT NULL,
            heartbeat_at_ms BIGINT NOT NULL)
        """,
        "ALTER TABLE agents ADD COLUMN replica TEXT",
        "CREATE INDEX agents_replica ON agents (replica)",
    ]

    /// The replica that runs each capture (its reader is there; agents send its packets there), so that a
    /// replica that starts fails only its own captures a previous run left live. Earlier captures name none.
    private static let captureReplicas: [SQLQueryString] = [
        "ALTER TABLE captures ADD COLUMN replica TEXT",
        "CREATE INDEX captures_replica ON captures (replica)",
    ]

    /// Admins' rules giving Kubernetes namespaces to tenants: a record table (name = the pattern). A pod's
    /// platform identity (runtime, namespace, uid, image) is part of the workload's JSON body, like its labels.
    private static let namespaceMappings: [SQLQueryString] = recordTable("namespace_mappings")

    /// Detection engines' webhooks: the trigger as JSON in `body`, its secret apart (never in a body, never
    /// listed), and its counters and rate window in columns, so that one conditional UPDATE decides an
    /// opening across replicas (``SQLSession/claimTriggerOpening(id:at:rate:)``).
    private static let triggers: [SQLQueryString] = [
        """
        CREATE TABLE triggers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at_ms BIGINT NOT NULL,
            updated_at_ms BIGINT NOT NULL,
            secret TEXT NOT NULL,
            window_start_ms BIGINT,
            window_openings BIGINT NOT NULL DEFAULT 0,
            fired BIGINT NOT NULL DEFAULT 0,
            opened BIGINT NOT NULL DEFAULT 0,
            suppressed BIGINT NOT NULL DEFAULT 0,
            unmatched BIGINT NOT NULL DEFAULT 0,
            refused BIGINT NOT NULL DEFAULT 0,
            last_alert_at_ms BIGINT,
            last_alert TEXT,
            last_opened TEXT,
            body TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX triggers_name ON triggers (name)",
    ]

    /// Four-eyes approval of taps: where a tap's request stands, who decided it, when and why, in columns beside
    /// the body's copy (as the tap's other searched fields), so that the approval queue and an incident review
    /// query them. A pending request's deadline column is when it expires unanswered (the expiry scheduler's).
    private static let tapApprovals: [SQLQueryString] = [
        "ALTER TABLE taps ADD COLUMN approval_state TEXT",
        "ALTER TABLE taps ADD COLUMN requested_at_ms BIGINT",
        "ALTER TABLE taps ADD COLUMN approver_id TEXT",
        "ALTER TABLE taps ADD COLUMN approver TEXT",
        "ALTER TABLE taps ADD COLUMN approval_decided_at_ms BIGINT",
        "ALTER TABLE taps ADD COLUMN approval_reason TEXT",
        "CREATE INDEX taps_approval_state ON taps (approval_state)",
    ]

    /// How many workloads a tap matched at its start, in a column of its own: it is counted after the tap is
    /// committed (``StoreSession/recordMatchedWorkloads(_:tapID:)``), and a stop or expiry rewriting the body
    /// from an earlier read must not set it back.
    private static let tapMatchCounts: [SQLQueryString] = [
        "ALTER TABLE taps ADD COLUMN matched_workloads BIGINT",
    ]

    /// A host's workloads are a range of names in byte order (`host/` up to `host0`,
    /// ``SQLSession/fetchWorkloads(onHost:)``). SQLite's unique index on `name` is already in byte order;
    /// PostgreSQL's follows the database's collation, so it gets one in byte order too.
    private static let workloadNamesInByteOrder: [SQLQueryString] = [
        "CREATE INDEX workloads_name_bytes ON workloads (name COLLATE \"C\")",
    ]

    /// A user signed in through an identity provider is found again by its issuer and subject
    /// (``ExternalIdentity/key``), whatever their name or email became.
    private static let externalIdentities: [SQLQueryString] = [
        "ALTER TABLE users ADD COLUMN external_key TEXT",
        "CREATE UNIQUE INDEX users_external_key ON users (external_key)",
    ]

    /// Flow records of `flows` taps (``FlowStore``), one row per flow replaced by each newer record, and the HTTP
    /// exchanges read from them. `workload` is `host/workload`; `tenant` the tapped workload's when recorded.
    private static let flows: [SQLQueryString] = [
        """
        CREATE TABLE flows (
            id TEXT PRIMARY KEY,
            tap_id TEXT NOT NULL,
            host TEXT NOT NULL,
            workload TEXT NOT NULL,
            tenant TEXT,
            first_seen_ms BIGINT NOT NULL,
            last_seen_ms BIGINT NOT NULL,
            body TEXT NOT NULL)
        """,
        "CREATE INDEX flows_last_seen ON flows (last_seen_ms)",
        "CREATE INDEX flows_tenant ON flows (tenant, last_seen_ms)",
        """
        CREATE TABLE http_exchanges (
            flow_id TEXT NOT NULL,
            tenant TEXT,
            requested_at_ms BIGINT NOT NULL,
            body TEXT NOT NULL)
        """,
        "CREATE INDEX http_exchanges_flow ON http_exchanges (flow_id)",
        "CREATE INDEX http_exchanges_requested ON http_exchanges (requested_at_ms)",
    ]
}
