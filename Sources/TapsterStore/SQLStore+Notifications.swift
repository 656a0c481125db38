import Foundation
import Logging
import NIOPosix
import PostgresKit
import SQLKit

/// PostgreSQL's `LISTEN`/`NOTIFY`, which carries the change feed between replicas sharing the database.
/// SQLite has none: one process is the whole server.
extension SQLStore {
    /// Whether other processes can be notified through this database (PostgreSQL).
    public var carriesNotifications: Bool { dialect == .postgres }

    /// Sends `payloads` on `channel` (`pg_notify`), in order, on one pooled connection. Listeners receive
    /// each exactly once if they are listening when it is sent; nobody receives anything when this throws
    /// before the first.
    public func notify(channel: String, payloads: [String]) async throws {
        guard carriesNotifications, !payloads.isEmpty else { return }
        do {
            try await withSQLDatabase { database in
                for payload in payloads {
                    try await database.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
                }
            }
        } catch {
            throw DatabaseErrors.map(error, operation: "notify \(channel)")
        }
    }

    /// Opens a connection of its own (outside the pool), `LISTEN`s on `channel`, calls `listening` once it
    /// does, and hands every payload to `receive`, in order, until the connection is lost — it then throws
    /// ``StoreError`` — or the task is cancelled. The connection is pinged every `ping` and counts as lost
    /// when a ping is not answered within that time (a dead peer behind a silent network closes nothing).
    /// `applicationName` names the connection in `pg_stat_activity`.
    public func listen(on channel: String, applicationName: String, ping: Duration = .seconds(5), listening: @escaping @Sendable () async -> Void,
                       receive: @escaping @Sendable (String) async -> Void) async throws {
        guard case .postgres(let url) = configuration.location else {
            throw StoreError(operation: "listen on \(channel)", underlying: "only PostgreSQL carries notifications")
        }
        let connection: PostgresConnection
        do {
            var postgres = try SQLPostgresConfiguration(url: url).coreConfiguration
            // So that an operator (and a test) tells it apart in pg_stat_activity.
            postgres.options.additionalStartupParameters.append(("application_name", applicationName))
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: postgres, id: 0, logger: logger)
        } catch {
            throw DatabaseErrors.map(error, operation: "connect to listen on \(channel)")
        }
        // Closed (and awaited) on every way out: PostgresNIO insists a connection is closed before it is released.
        do {
            try await Self.listen(connection, on: channel, ping: ping, logger: logger, listening: listening, receive: receive)
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private static func listen(_ connection: PostgresConnection, on channel: String, ping: Duration, logger: Logger,
                               listening: @escaping @Sendable () async -> Void,
                               receive: @escaping @Sendable (String) async -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await connection.listen(on: channel) { notifications in
                    await listening()
                    for try await notification in notifications { await receive(notification.payload) }
                }
                throw StoreError(operation: "listen on \(channel)", underlying: "the connection closed")
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: ping)
                    try await answers(connection, within: ping, logger: logger)
                }
            }
            defer { group.cancelAll() }
            do {
                try await group.next()
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(operation: "listen on \(channel)", underlying: "the connection was lost: \(error)")
            }
        }
    }

    /// Throws unless `connection` answers `SELECT 1` within `limit`.
    private static func answers(_ connection: PostgresConnection, within limit: Duration, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw StoreError(operation: "ping the listening connection", underlying: "no answer within \(limit)")
            }
        }
    }
}
