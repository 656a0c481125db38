import Foundation
import TapsterCore

/// Which database a store uses, as parsed from `--database-url`.
///
/// Accepted forms:
/// - `postgres://user:password@host:port/database` (also `postgresql://`), with an optional
///   `?sslmode=disable|allow|prefer|require|verify-ca|verify-full` (default `prefer`);
/// - `sqlite:///absolute/path.sqlite`, `sqlite://relative/path.sqlite`, or a plain file path.
public struct DatabaseConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The kind of database.
    public enum Kind: String, Sendable, CaseIterable {
        case sqlite, postgres
    }

    /// Where the database is.
    public enum Location: Sendable, Equatable {
        /// An SQLite database file (created when missing).
        case sqlite(path: String)
        /// A PostgreSQL database, by its URL (password included).
        case postgres(url: String)
    }

    /// The largest PostgreSQL pool a store opens.
    public static let defaultPostgresConnections = 8

    public var location: Location
    /// How many connections a PostgreSQL store may open (1…8). SQLite always uses one.
    public var maximumConnections: Int

    public init(location: Location, maximumConnections: Int = DatabaseConfiguration.defaultPostgresConnections) {
        self.location = location
        self.maximumConnections = min(max(1, maximumConnections), DatabaseConfiguration.defaultPostgresConnections)
    }

    /// An SQLite database in the file at `path`.
    public static func sqlite(path: String) -> DatabaseConfiguration {
        DatabaseConfiguration(location: .sqlite(path: path))
    }

    /// Parses a `--database-url`; throws `invalid_argument` (field `database_url`) when it is not one of the accepted forms.
    public init(parsing text: String) throws(TapsterError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw TapsterError.invalid("database_url", "must not be empty") }
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            try DatabaseConfiguration.validatePostgres(trimmed)
            self.init(location: .postgres(url: trimmed))
        } else if lowered.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw TapsterError.invalid("database_url", "\"\(text)\" names no SQLite file") }
            self.init(location: .sqlite(path: path.removingPercentEncoding ?? path))
        } else if let scheme = trimmed.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) {
            throw TapsterError.invalid(
                "database_url", "\"\(trimmed[scheme])\" is not a supported database; use postgres://… or an SQLite file path")
        } else {
            self.init(location: .sqlite(path: trimmed))
        }
    }

    /// The kind of database.
    public var kind: Kind {
        switch location {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The URL with any password replaced by `***`, for logs and banners.
    public var description: String {
        switch location {
        case .sqlite(let path):
            return "sqlite://\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url), components.password != nil else { return url }
            components.password = "***"
            return components.string ?? "postgres://***"
        }
    }

    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    private static func validatePostgres(_ text: String) throws(TapsterError) {
        guard let components = URLComponents(string: text) else {
            throw TapsterError.invalid("database_url", "\"\(redact(text))\" is not a URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw TapsterError.invalid("database_url", "a PostgreSQL URL names a host: postgres://user@host:5432/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw TapsterError.invalid("database_url", "a PostgreSQL URL names a user: postgres://user@\(host)/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty, !database.contains("/") else {
            throw TapsterError.invalid("database_url", "a PostgreSQL URL names one database: postgres://\(user)@\(host)/tapster")
        }
        for item in components.queryItems ?? [] {
            switch item.name.lowercased() {
            case "sslmode", "tlsmode", "ssl", "tls":
                let mode = item.value ?? ""
                guard sslModes.contains(mode) || mode == "true" || mode == "false" else {
                    throw TapsterError.invalid("database_url", "sslmode \"\(mode)\" is not one of \(sslModes.sorted().joined(separator: ", "))")
                }
            default:
                throw TapsterError.invalid("database_url", "unknown PostgreSQL URL parameter \"\(item.name)\" (only sslmode is understood)")
            }
        }
    }

    private static func redact(_ url: String) -> String {
        DatabaseConfiguration(location: .postgres(url: url)).description
    }
}
