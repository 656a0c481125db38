import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization
import TapsterCore

/// The ``Store`` over SQL: one code path for SQLite and PostgreSQL (sql-kit).
///
/// - SQLite: one connection for the whole store (WAL, busy timeout, foreign keys on). Every
///   operation — and a transaction, for its whole duration — holds it, so others wait their turn.
/// - PostgreSQL: a pool of up to 8 connections; a transaction pins one of them.
///
/// Each operation outside ``transaction(_:)`` runs on a connection of its own for its duration;
/// those that write several rows (appending to the audit log, deleting a user) open a
/// transaction of their own.
///
/// Inside ``transaction(_:)``, use the session it passes, never the store: on SQLite the
/// store's one connection is the transaction's, so a call on the store would wait for it
/// (and fail after ``connectionWaitLimit``).
public final class SQLStore: Store {
    /// The database this store was opened on.
    public let configuration: DatabaseConfiguration
    let connections: any ConnectionProvider
    let dialect: Dialect
    let logger: Logger
    /// The key new audit events are sealed with, once ``sealAudit(with:)`` gave one.
    private let auditKey = Mutex<AuditKey?>(nil)

    /// How long an operation waits for a free connection before failing, unless ``open(_:logger:connectionWaitLimit:)`` says otherwise.
    public static let connectionWaitLimit: TimeAmount = .seconds(60)

    private init(configuration: DatabaseConfiguration, connections: any ConnectionProvider, dialect: Dialect, logger: Logger) {
        self.configuration = configuration
        self.connections = connections
        self.dialect = dialect
        self.logger = logger
    }

    /// Opens a store on `configuration` and checks that the database answers. Call
    /// ``migrate()`` before use, and ``shutdown()`` at the end. An operation waiting longer than
    /// `connectionWaitLimit` for a free connection fails (tests on a loaded machine give more: a burst of
    /// operations queued on SQLite's one connection can take minutes there).
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger,
                            connectionWaitLimit: TimeAmount = SQLStore.connectionWaitLimit) async throws -> SQLStore {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let store: SQLStore
        switch configuration.location {
        case .sqlite(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: directory) else {
                throw StoreError(operation: "open \(configuration)", underlying: "directory \(directory) does not exist")
            }
            let threadPool = NIOThreadPool(numberOfThreads: 1)
            threadPool.start()
            let pool = ConnectionPool(
                source: SQLiteSource(path: path, threadPool: threadPool), maxConnections: 1, requestTimeout: connectionWaitLimit,
                logger: logger, on: eventLoop, bind: { $0.sql() }, afterClose: { try await threadPool.shutdownGracefully() })
            store = SQLStore(configuration: configuration, connections: pool, dialect: .sqlite, logger: logger)
        case .postgres(let url):
            let postgres: SQLPostgresConfiguration
            do {
                postgres = try SQLPostgresConfiguration(url: url)
            } catch {
                throw StoreError(operation: "open \(configuration)", underlying: "not a PostgreSQL URL: \(error)")
            }
            let pool = ConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: postgres), maxConnections: configuration.maximumConnections,
                requestTimeout: connectionWaitLimit, logger: logger, on: eventLoop, bind: { $0.sql() })
            store = SQLStore(configuration: configuration, connections: pool, dialect: .postgres, logger: logger)
        }
        do {
            try await store.withSQLDatabase { try await $0.raw("SELECT 1 AS ok").run() }
        } catch {
            try? await store.shutdown()
            throw DatabaseErrors.map(error, operation: "open \(configuration)")
        }
        return store
    }

    /// Creates or upgrades the schema. Idempotent, and safe for replicas starting together.
    public func migrate() async throws {
        try await onConnection { try await Migrations.migrate($0, at: Date()) }
    }

    /// From now on, audit events are sealed, and the chain verified, with `key` (an HMAC chain whose secret
    /// the database does not hold). Call once after ``migrate()``, before anything is audited.
    public func sealAudit(with key: AuditKey) {
        auditKey.withLock { $0 = key }
    }

    /// The migration versions applied to the database, in order.
    public func appliedMigrations() async throws -> [Int64] {
        try await onConnection { try await Migrations.appliedVersions($0) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any StoreSession) async throws -> T) async throws -> T {
        try await connections.withConnection { database in
            try await SQLSession.transaction(on: database, dialect: dialect, auditKey: auditKey.withLock { $0 }) { try await body($0) }
        }
    }

    public func shutdown() async throws {
        try await connections.close()
    }

    /// Runs `body` with a connection of the store's, outside its rules: for maintenance and tests
    /// (e.g. proving that tampering with the audit log is detected). Errors are the driver's own.
    public func withSQLDatabase<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await connections.withConnection(body)
    }

    /// Runs one store operation on a connection of its own.
    func onConnection<T: Sendable>(_ body: @Sendable (SQLSession) async throws -> T) async throws -> T {
        try await connections.withConnection { database in
            try await body(SQLSession(database: database, dialect: dialect, inTransaction: false, auditKey: auditKey.withLock { $0 }))
        }
    }
}
