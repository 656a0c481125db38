import SQLKit

/// The few places where SQLite and PostgreSQL need different SQL text. Everything else is one text.
enum Dialect: Sendable {
    case sqlite, postgres

    /// Starts a transaction. SQLite takes the write lock at once (`IMMEDIATE`), so a transaction
    /// never fails half-way for want of it.
    var begin: SQLQueryString {
        switch self {
        case .sqlite: "BEGIN IMMEDIATE"
        case .postgres: "BEGIN"
        }
    }

    /// Locks the selected rows until the transaction ends (PostgreSQL); SQLite's transaction
    /// already holds the database's write lock.
    var forUpdate: SQLQueryString {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE"
        }
    }

    /// A text column in byte order, so that both databases sort names alike whatever
    /// PostgreSQL's database collation is.
    func byteOrder(_ column: String) -> SQLQueryString {
        switch self {
        case .sqlite: "\(ident: column)"
        case .postgres: "\(ident: column) COLLATE \"C\""
        }
    }
}
