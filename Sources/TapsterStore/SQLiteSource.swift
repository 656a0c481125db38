import AsyncKit
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLiteNIO

/// Opens the store's SQLite connection: WAL journal, a busy timeout (for other processes
/// holding the file), foreign keys on.
///
/// SQLite calls block, so they run on `threadPool`: the store's own thread, so that a call
/// waiting for another process's lock never holds up another store.
struct SQLiteSource: ConnectionPoolSource {
    let path: String
    let threadPool: NIOThreadPool
    /// How long SQLite waits for another process's lock before failing with SQLITE_BUSY.
    static let busyTimeoutMilliseconds = 10_000

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        let path = self.path
        let threadPool = self.threadPool
        return eventLoop.makeFutureWithTask {
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            do {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA busy_timeout = \(SQLiteSource.busyTimeoutMilliseconds)",
                    "PRAGMA foreign_keys = ON",
                ] {
                    _ = try await connection.query(pragma)
                }
            } catch {
                try? await connection.close()
                throw error
            }
            return connection
        }
    }
}
