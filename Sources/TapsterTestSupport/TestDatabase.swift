import Foundation
import Logging
import NIOCore
import SQLKit
import TapsterCore
import TapsterStore

/// A fresh, migrated database of one ``StoreKind``, of its own: an SQLite file in the temporary
/// directory, or a `tapster_test_<random>` database on the PostgreSQL server of
/// ``StoreKind/postgresAdminURL``. ``drop()`` removes it.
///
/// ```swift
/// try await TestDatabase.with(kind) { db in
///     try await db.store.insertTap(tap)            // the store, opened and migrated
///     startServer(databaseURL: db.databaseURL)      // or anything else that opens it
/// }                                                 // dropped, whether the body threw or not
/// ```
public final class TestDatabase: Sendable {
    public let kind: StoreKind
    /// The `--database-url` of this database.
    public let databaseURL: String
    /// A store opened on it and migrated.
    public let store: SQLStore
    private let location: Location
    private let logger: Logger

    private enum Location: Sendable {
        case file(String)
        case postgres(adminURL: String, database: String)
    }

    private init(kind: StoreKind, databaseURL: String, store: SQLStore, location: Location, logger: Logger) {
        self.kind = kind
        self.databaseURL = databaseURL
        self.store = store
        self.location = location
        self.logger = logger
    }

    /// How long a test's store operation waits for a free connection: the suite keeps both cores busy for minutes, and
    /// fifty appends queued on SQLite's one connection once outlasted the server's 60 s there (the limit guards a
    /// server against a stuck database, not a test against a busy machine).
    public static let connectionWaitLimit: TimeAmount = .minutes(10)

    /// A logger for tests: critical messages only (failures reach the tests as thrown errors).
    public static var quietLogger: Logger {
        var logger = Logger(label: "tapster.test")
        logger.logLevel = .critical
        return logger
    }

    /// Makes a fresh database of `kind`, opens a store on it and migrates it.
    /// PostgreSQL needs ``StoreKind/postgresAdminURL``.
    public static func make(_ kind: StoreKind, logger: Logger = TestDatabase.quietLogger) async throws -> TestDatabase {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let location: Location
        let databaseURL: String
        switch kind {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-test-\(suffix).sqlite").path
            location = .file(path)
            databaseURL = path
        case .postgres:
            guard let adminURL = StoreKind.postgresAdminURL else {
                throw TestDatabaseError("""
                    no PostgreSQL for tests: set \(StoreKind.postgresURLVariable) \
                    (export \(StoreKind.postgresURLVariable)=$(scripts/postgres-for-tests.sh start))
                    """)
            }
            let database = "tapster_test_\(suffix)"
            try await PostgresAdmin.createDatabase(database, adminURL: adminURL, logger: logger)
            location = .postgres(adminURL: adminURL, database: database)
            databaseURL = try PostgresAdmin.url(adminURL, database: database)
        }
        do {
            let store = try await SQLStore.open(try DatabaseConfiguration(parsing: databaseURL), logger: logger,
                                                connectionWaitLimit: connectionWaitLimit)
            let database = TestDatabase(kind: kind, databaseURL: databaseURL, store: store, location: location, logger: logger)
            do {
                try await store.migrate()
            } catch {
                try? await database.drop()
                throw error
            }
            return database
        } catch {
            try? await remove(location, logger: logger)
            throw error
        }
    }

    /// Runs `body` on a fresh database of `kind`, and drops it afterwards, whether `body` returned or threw.
    public static func with<T>(_ kind: StoreKind, logger: Logger = TestDatabase.quietLogger,
                               _ body: (TestDatabase) async throws -> T) async throws -> T {
        let database = try await make(kind, logger: logger)
        let result: T
        do {
            result = try await body(database)
        } catch {
            try? await database.drop()
            throw error
        }
        try await database.drop()
        return result
    }

    /// Closes the store and removes the database (the file and its WAL, or the PostgreSQL
    /// database, disconnecting anyone still on it). Calling it again does nothing.
    public func drop() async throws {
        try? await store.shutdown()
        try await TestDatabase.remove(location, logger: logger)
    }

    private static func remove(_ location: Location, logger: Logger) async throws {
        switch location {
        case .file(let path):
            for file in [path, path + "-wal", path + "-shm", path + "-journal"] where FileManager.default.fileExists(atPath: file) {
                try FileManager.default.removeItem(atPath: file)
            }
        case .postgres(let adminURL, let database):
            try await PostgresAdmin.dropDatabase(database, adminURL: adminURL, logger: logger)
        }
    }

    /// Runs a statement directly, outside the store's rules — to tamper with data, for example.
    public func execute(_ sql: String) async throws {
        try await store.withSQLDatabase { try await $0.raw(SQLQueryString(sql)).run() }
    }

    /// The integer in the first column of the first row of `sql` (`nil` when there is no row or it is NULL).
    public func integer(_ sql: String) async throws -> Int64? {
        try await store.withSQLDatabase { database in
            guard let row = try await database.raw(SQLQueryString(sql)).first(), let column = row.allColumns.first,
                  !(try row.decodeNil(column: column)) else { return nil }
            return try row.decode(column: column, as: Int64.self)
        }
    }
}
