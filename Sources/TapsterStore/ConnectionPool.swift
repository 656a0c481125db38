import AsyncKit
import Logging
import NIOCore
import SQLKit
import Synchronization

/// Hands out one connection at a time to a body, as an `SQLDatabase` bound to that connection.
///
/// Backed by an async-kit pool on one event loop: SQLite with one connection (so the whole
/// store is serialised, and a transaction holds the database until it ends), PostgreSQL with
/// a few. The pool's state lives on its event loop, which is what makes it safe to share.
final class ConnectionPool<Source: ConnectionPoolSource>: @unchecked Sendable where Source.Connection: Sendable {
    private let pool: EventLoopConnectionPool<Source>
    private let bind: @Sendable (Source.Connection) -> any SQLDatabase
    private let afterClose: @Sendable () async throws -> Void
    private let logger: Logger
    private let closed = Mutex(false)

    /// - Parameters:
    ///   - bind: the connection as an `SQLDatabase`.
    ///   - afterClose: runs once the connections are closed (to release what the source uses).
    init(source: Source, maxConnections: Int, requestTimeout: TimeAmount, logger: Logger, on eventLoop: any EventLoop,
         bind: @escaping @Sendable (Source.Connection) -> any SQLDatabase,
         afterClose: @escaping @Sendable () async throws -> Void = {}) {
        self.pool = EventLoopConnectionPool(
            source: source, maxConnections: maxConnections, requestTimeout: requestTimeout, logger: logger, on: eventLoop)
        self.bind = bind
        self.afterClose = afterClose
        self.logger = logger
    }

    /// Runs `body` with a connection of its own, returned to the pool when `body` ends.
    func withConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let connection: Source.Connection
        do {
            connection = try await pool.requestConnection(logger: logger).get()
        } catch {
            throw DatabaseErrors.map(error, operation: "connect")
        }
        defer { pool.releaseConnection(connection, logger: logger) }
        return try await body(bind(connection))
    }

    /// Closes every connection; later requests fail. Closing again does nothing.
    func close() async throws {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        try await pool.close().get()
        try await afterClose()
    }
}

/// Something that lends connections: a ``ConnectionPool`` of either database.
protocol ConnectionProvider: Sendable {
    func withConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func close() async throws
}

extension ConnectionPool: ConnectionProvider {}
