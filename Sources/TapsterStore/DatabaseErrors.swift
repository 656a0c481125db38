import PostgresNIO
import SQLiteNIO
import TapsterCore

/// What the two drivers' errors mean to the store.
enum DatabaseErrors {
    /// Whether `error` is a unique-key (or primary-key) violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError {
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed: return true
            default: return false
            }
        }
        if let error = error as? PSQLError {
            return error.serverInfo?[.sqlState] == "23505"
        }
        return false
    }

    /// Whether `error` says the database's disk is full: SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full`
    /// (SQLSTATE 53100).
    static func isDiskFull(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return error.reason == .full }
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "53100" }
        return false
    }

    /// A one-line account of a database error, without query parameters (they may hold secrets' hashes).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "\(info[.message] ?? "server error")\(state)"
            }
            return error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
        }
        if let error = error as? SQLiteError {
            return error.message
        }
        return String(describing: error)
    }

    /// `error` as the store throws it: ``TapsterError`` and ``StoreError`` unchanged, a unique
    /// violation as `conflict` when given, a full disk as `unavailable`, anything else as a ``StoreError``
    /// of `operation`.
    static func map(_ error: any Error, operation: String, conflict: (() -> TapsterError)? = nil) -> any Error {
        if error is TapsterError || error is StoreError { return error }
        if let conflict, isUniqueViolation(error) { return conflict() }
        // Not a fault of the server's: say what it is, and that the transaction changed nothing (it rolled back).
        if isDiskFull(error) {
            return TapsterError(.unavailable, "the database's disk is full, so nothing was changed (\(operation)); free space on it and try again")
        }
        return StoreError(operation: operation, underlying: describe(error))
    }
}

extension TapsterError {
    /// `<kind> "<name>" already exists`.
    static func alreadyExists(_ kind: String, _ name: String) -> TapsterError {
        TapsterError(.alreadyExists, "\(kind) \"\(name)\" already exists")
    }
}
